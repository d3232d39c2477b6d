"""The public customer portal of a tenant: submit a request, follow it by a signed link, reply, rate.

No login: the signed link is the customer's key to one ticket; it expires a fixed time after it
was issued and agents can revoke it. A request naming the address of an existing contact stays
an unverified claim until the link e-mailed to that address is followed (``confirm``). The
submit form is rate-limited per client address (counts in the Redis cache) and carries a
honeypot field. Replies and ratings are rate-limited per client address and per ticket.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited

from tickets import links, selectors, services
from tickets.forms import CSATForm, PortalReplyForm, PortalRequestForm
from tickets.models import Contact, Status, Ticket

STATUS_PAGE = "tickets/portal/status.html"


def _form_errors(form: Any, exc: ValidationError) -> None:
    for name, errors in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    form = PortalRequestForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        limited = is_ratelimited(
            request,
            group="tickets.portal.submit",
            key="ip",
            rate=settings.TICKETS_PORTAL_SUBMIT_RATE,
            method="POST",
            increment=True,
        )
        if limited:
            form.is_valid()
            form.add_error(None, _("Too many requests from your address. Please wait a few minutes and try again."))
            return render(request, "tickets/portal/new.html", {"form": form}, status=429)
        if form.is_valid():
            data = form.cleaned_data
            if data["website"]:
                # A bot filled the hidden field: answer as if it worked, store nothing.
                return render(request, "tickets/portal/received.html", {})
            try:
                ticket = services.portal_request_submit(
                    email=data["email"],
                    name=data["name"],
                    subject=data["subject"],
                    description=data["description"],
                    files=data["attachments"],
                    site_url=request.build_absolute_uri("/"),
                    language=translation.get_language(),
                )
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                if ticket.requester.is_unverified_claim:
                    messages.info(
                        request,
                        _(
                            "We received your request #%(number)s. We know %(email)s already, so we sent a link "
                            "there: follow it to confirm the address, and we will answer you."
                        )
                        % {"number": ticket.number, "email": ticket.requester.email},
                    )
                else:
                    messages.success(
                        request,
                        _("Thanks! We received your request #%(number)s. Bookmark this page to follow it.")
                        % {"number": ticket.number},
                    )
                return redirect(links.portal_path(ticket))
        return render(request, "tickets/portal/new.html", {"form": form}, status=400)
    return render(request, "tickets/portal/new.html", {"form": form})


def _status_context(ticket: Ticket, visitor: Contact, token: str, **extra: Any) -> dict[str, Any]:
    merged = ticket.merged_into
    return {
        "ticket": ticket,
        "visitor": visitor,
        "thread": selectors.ticket_thread(ticket=ticket, public_only=True),
        "request_files": selectors.request_attachments(ticket=ticket),
        "token": token,  # the one the page was opened with: using a link never extends it
        "expires_at": links.token_expires_at(token),
        "merged_link": links.portal_path(merged, visitor) if merged is not None else "",
        "reply_form": PortalReplyForm(),
        "csat_form": CSATForm(),
        "can_reply": ticket.status != Status.CLOSED,
        "can_rate": ticket.is_resolved and ticket.csat_rating is None and visitor.pk == ticket.requester_id,
        **extra,
    }


@require_GET
def status(request: HttpRequest, token: str) -> HttpResponse:
    ticket, visitor = links.visitor_from_token(token)
    services.contact_language_remember(contact=visitor, language=translation.get_language())
    return render(request, STATUS_PAGE, _status_context(ticket, visitor, token))


@require_GET
def attachment_download(request: HttpRequest, token: str, pk: int) -> FileResponse:
    """A file of a public reply; internal notes' files stay with the staff."""
    ticket = links.ticket_from_token(token)
    attachment = selectors.attachment_get(ticket=ticket, attachment_id=pk, public_only=True)
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )


def _write_limited(request: HttpRequest, *, action: str, ticket: Ticket) -> bool:
    """Count a reply or rating per client address and per ticket; True when either is over the rate.

    Both counters advance on every attempt, so neither many addresses on one link nor one address
    on many links gets through. They count in Redis and let the request through while it is down.
    """
    rate = settings.TICKETS_PORTAL_REPLY_RATE
    by_address = is_ratelimited(
        request, group=f"tickets.portal.{action}", key="ip", rate=rate, method="POST", increment=True
    )
    by_ticket = is_ratelimited(
        request,
        group=f"tickets.portal.{action}.ticket",
        key=lambda group, req: str(ticket.pk),
        rate=rate,
        method="POST",
        increment=True,
    )
    return by_address or by_ticket


TOO_MANY = gettext_lazy("Too many messages on this request right now. Please wait a few minutes and send it again.")


@require_POST
def reply(request: HttpRequest, token: str) -> HttpResponse:
    ticket, visitor = links.visitor_from_token(token)
    form = PortalReplyForm(request.POST, request.FILES)
    if _write_limited(request, action="reply", ticket=ticket):
        form.is_valid()
        form.add_error(None, TOO_MANY)  # the typed text stays in the form
        return render(request, STATUS_PAGE, _status_context(ticket, visitor, token, reply_form=form), status=429)
    if form.is_valid():
        try:
            services.reply_add(
                ticket=ticket, body=form.cleaned_data["body"], files=form.cleaned_data["attachments"], by=visitor
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Your reply was sent."))
            return redirect("portal:status", token=token)
    return render(request, STATUS_PAGE, _status_context(ticket, visitor, token, reply_form=form), status=400)


@require_POST
def rate(request: HttpRequest, token: str) -> HttpResponse:
    ticket, visitor = links.visitor_from_token(token)
    form = CSATForm(request.POST)
    if _write_limited(request, action="rate", ticket=ticket):
        form.is_valid()
        form.add_error(None, TOO_MANY)
        return render(request, STATUS_PAGE, _status_context(ticket, visitor, token, csat_form=form), status=429)
    if form.is_valid():
        try:
            services.ticket_rate(
                ticket=ticket,
                contact=visitor,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Thank you for your rating!"))
            return redirect("portal:status", token=token)
    return render(request, STATUS_PAGE, _status_context(ticket, visitor, token, csat_form=form), status=400)


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Confirm an address from the e-mailed link: GET asks (mail scanners follow links), POST confirms."""
    ticket, claim = links.claim_from_token(token)
    if request.method == "POST":
        ticket = services.contact_claim_confirm(ticket=ticket, claim=claim)
        messages.success(
            request,
            _("Thank you: %(email)s is confirmed and request #%(number)s is in.")
            % {"email": ticket.requester.email, "number": ticket.number},
        )
        return redirect(links.portal_path(ticket))
    return render(request, "tickets/portal/confirm.html", {"ticket": ticket, "claim": claim})
