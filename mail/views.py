"""The mailboxes page (managers): mailboxes with their last poll and counts, Test connection, failed mail with
Retry and Make ticket, bouncing addresses; and the sandboxed view of a message's original HTML."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpdesk.http import AuthenticatedHttpRequest
from mail import selectors, services
from mail.forms import FailedToTicketForm, MailboxForm
from mail.models import Mailbox
from mail.parsing import html_sandboxed
from tickets.selectors import ticket_get

INDEX = "mail/index.html"
FORM = "mail/mailbox_form.html"
# The original HTML of a message: no scripts, no remote anything, its own origin (sandbox), no framing.
SANDBOX_CSP = (
    "default-src 'none'; img-src cid: data:; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)


@login_required
@permission_required("mail.view_mailbox", raise_exception=True)
@require_GET
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    context = {
        "rows": selectors.mailbox_rows(),
        "failed": selectors.failed_list()[:50],
        "recent": selectors.recent_list(),
        "bounced": selectors.bounced_list()[:50],
        "can_change": request.user.has_perm("mail.change_mailbox"),
    }
    return render(request, INDEX, context)


@login_required
@permission_required("mail.change_mailbox", raise_exception=True)
@require_http_methods(["GET", "POST"])
def mailbox_edit(request: AuthenticatedHttpRequest, pk: int | None = None) -> HttpResponse:
    mailbox = selectors.mailbox_get(pk) if pk is not None else Mailbox()
    form = MailboxForm(request.POST or None, instance=mailbox)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.mailbox_save(mailbox=form.save(commit=False), password=form.cleaned_data["password"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Mailbox %(address)s saved.") % {"address": saved.address})
            return redirect("mail:mailbox", pk=saved.pk)
    return render(request, FORM, {"form": form, "mailbox": mailbox if mailbox.pk else None})


@login_required
@permission_required("mail.change_mailbox", raise_exception=True)
@require_POST
def mailbox_test(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    mailbox = selectors.mailbox_get(pk)
    ok, result = services.mailbox_test(mailbox=mailbox)
    mailbox.refresh_from_db()
    if request.htmx:
        return render(request, f"{FORM}#test-result", {"mailbox": mailbox, "result": {"ok": ok, "message": result}})
    (messages.success if ok else messages.error)(request, result)
    return redirect("mail:mailbox", pk=pk)


@login_required
@permission_required("mail.change_mailmessage", raise_exception=True)
@require_POST
def failed_retry(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    message = selectors.message_get(pk)
    try:
        row = services.failed_retry(message=message)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if row.status == "failed":
            messages.error(request, _("Still failing: %(reason)s") % {"reason": row.reason})
        else:
            messages.success(request, _("The message was read: %(status)s.") % {"status": row.get_status_display()})
    return redirect("mail:index")


@login_required
@permission_required("mail.change_mailmessage", raise_exception=True)
@require_POST
def failed_to_ticket(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    message = selectors.message_get(pk)
    form = FailedToTicketForm(request.POST)
    email = form.cleaned_data["email"] if form.is_valid() else ""
    try:
        ticket = services.failed_to_ticket(message=message, by=request.user, email=email)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("mail:index")
    messages.success(request, _("Ticket %(reference)s opened.") % {"reference": ticket.reference})
    return redirect(reverse("tickets:detail", kwargs={"number": ticket.number}))


@login_required
@permission_required("mail.view_mailmessage", raise_exception=True)
@require_GET
def message_html(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    message = selectors.message_get(pk)
    response = HttpResponse(html_sandboxed(message.html), content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = SANDBOX_CSP
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@permission_required("mail.view_mailmessage", raise_exception=True)
@require_GET
def ticket_panel(request: AuthenticatedHttpRequest, number: int) -> HttpResponse:
    """The ticket page's e-mail panel: the messages of its conversation, with the whole text and the original."""
    ticket = ticket_get(number=number)
    return render(request, "mail/ticket_panel.html", {"ticket": ticket, "messages": selectors.ticket_messages(ticket)})
