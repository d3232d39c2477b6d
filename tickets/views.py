"""Pages of support staff: the queue, a ticket, the new-ticket form and the dashboard.

Each view parses, calls one service and renders; an HTMX request gets only the named
partial it swaps (``"tickets/ticket_list.html#rows"``), plain requests get the whole page.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from helpdesk.http import AuthenticatedHttpRequest
from tickets import charts, links, selectors, services
from tickets.filters import NUMBER, SORTABLE_COLUMNS, SORTS, VIEWS, TicketFilter
from tickets.forms import BULK_ACTIONS, BulkForm, ReplyForm, TicketCreateForm, TicketUpdateForm
from tickets.models import Status, Ticket

LIST = "tickets/ticket_list.html"
DETAIL = "tickets/ticket_detail.html"


PAGE_SIZES = (25, 50, 100)


def _page_size(query: QueryDict) -> int:
    try:
        size = int(query.get("per_page", ""))
    except ValueError:
        return settings.TICKETS_PAGE_SIZE
    return size if size in PAGE_SIZES else settings.TICKETS_PAGE_SIZE


def _sort_links(query: QueryDict) -> dict[str, dict[str, str]]:
    """For each sortable column header: the URL query of its next click and its aria-sort state."""
    current = query.get("sort") or "-created"
    links = {}
    for column, first in SORTABLE_COLUMNS.items():
        ascending, descending = first.lstrip("-"), f"-{first.lstrip('-')}"
        state = "ascending" if current == ascending else "descending" if current == descending else "none"
        following = {"ascending": descending, "descending": ascending}.get(state, first)
        target = query.copy()
        target.pop("page", None)
        target["sort"] = following
        links[column] = {"query": target.urlencode(), "state": state}
    return links


def _list_context(request: AuthenticatedHttpRequest, query: QueryDict) -> dict[str, Any]:
    filterset = TicketFilter(query, queryset=selectors.ticket_queryset(), request=request)
    page = Paginator(filterset.qs, _page_size(query)).get_page(query.get("page"))
    active_filters = {k: v for k, v in query.items() if v and k not in ("page", "sort", "per_page")}
    base = query.copy()
    base.pop("page", None)
    return {
        "filterset": filterset,
        "page": page,
        "query": query.urlencode(),
        "base_query": f"{base.urlencode()}&" if base else "",
        "filtered": bool(active_filters),
        "agents": selectors.agent_list(),
        "tags": selectors.tag_list(),
        "views": VIEWS,
        "sorts": {k: v[0] for k, v in SORTS.items()},
        "statuses": Status.choices,
        "bulk_actions": BULK_ACTIONS,
        "current": query,
        "sort_links": _sort_links(query),
        "page_sizes": PAGE_SIZES,
        "page_size": _page_size(query),
    }


@login_required
@permission_required("tickets.view_ticket", raise_exception=True)
@require_GET
def ticket_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    number = NUMBER.match(request.GET.get("q", "").strip())
    if number and not request.htmx:
        # `#1006` and Enter opens that ticket, when it exists; the list says so when it does not.
        found = selectors.ticket_number_exists(number=int(number.group(1)))
        if found:
            return redirect("tickets:detail", number=int(number.group(1)))
    context = _list_context(request, request.GET)
    template = f"{LIST}#rows" if request.htmx and not request.htmx.boosted else LIST
    return render(request, template, context)


@login_required
@permission_required("tickets.change_ticket", raise_exception=True)
@require_POST
def ticket_bulk(request: AuthenticatedHttpRequest) -> HttpResponse:
    query = QueryDict(request.POST.get("query", ""))
    form = BulkForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        changes: dict[str, Any] = {}
        if data["action"] == "assign":
            value = data["assignee"]
            changes["assignee"] = None if value in ("", "unassigned") else selectors.agent_get(pk=value)
        elif data["action"] == "status":
            changes["status"] = data["status"]
        else:
            changes["add_tag"] = data["tag"]
        tickets = selectors.tickets_by_numbers(numbers=data["numbers"])
        result = services.tickets_bulk_update(tickets=tickets, by=request.user, **changes)
        if result.updated:
            messages.success(request, f"Updated {len(result.updated)} ticket(s).")
        for number, error in result.errors.items():
            messages.error(request, f"#{number}: {error}")
    else:
        for errors in form.errors.values():
            messages.error(request, " ".join(str(e) for e in errors))
    if request.htmx:
        return render(request, f"{LIST}#rows", {**_list_context(request, query), "show_messages": True})
    url = reverse("tickets:list")
    return redirect(f"{url}?{query.urlencode()}" if query else url)


def _detail_context(request: AuthenticatedHttpRequest, ticket: Ticket, **extra: Any) -> dict[str, Any]:
    macros = selectors.macro_list()
    return {
        **selectors.ticket_page(ticket=ticket, user=request.user),
        "allowed_statuses": {ticket.status, *services.TRANSITIONS[ticket.status]},
        "reply_form": ReplyForm(initial={"seen": selectors.last_event_id(ticket=ticket)}),
        "macros": [(m, services.macro_render(macro=m, ticket=ticket, agent=request.user)) for m in macros],
        "portal_link": request.build_absolute_uri(links.portal_path(ticket)),
        **extra,
    }


@login_required
@permission_required("tickets.view_ticket", raise_exception=True)
@require_GET
def ticket_detail(request: AuthenticatedHttpRequest, number: int) -> HttpResponse:
    ticket = selectors.ticket_get(number=number)
    if request.htmx and request.GET.get("partial") == "sla":
        return render(request, f"{DETAIL}#sla", {"ticket": ticket})
    return render(request, DETAIL, _detail_context(request, ticket))


@login_required
@permission_required("tickets.change_ticket", raise_exception=True)
@require_POST
def ticket_update(request: AuthenticatedHttpRequest, number: int) -> HttpResponse:
    ticket = selectors.ticket_get(number=number)
    form = TicketUpdateForm(request.POST)
    error = None
    if form.is_valid():
        try:
            services.ticket_update(ticket=ticket, by=request.user, **form.changes())
        except ValidationError as exc:
            error = " ".join(exc.messages)
    else:
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    if request.htmx:
        ticket = selectors.ticket_get(number=number)
        context = _detail_context(request, ticket, header_error=error)
        return render(request, f"{DETAIL}#header_update", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Ticket updated."))
    return redirect("tickets:detail", number=ticket.number)


def _reply_form_again(
    request: AuthenticatedHttpRequest, ticket: Ticket, form: ReplyForm, *, status: int = 400, **extra: Any
) -> HttpResponse:
    """The reply form with what was typed and why it was not sent (HTMX: in place of the form)."""
    context = _detail_context(request, ticket, reply_form=form, **extra)
    if request.htmx:
        # A collision notice also brings the thread and trail up to date, for the agent to check.
        partial = "reply_stale" if extra.get("stale_changes") else "reply_form"
        response = render(request, f"{DETAIL}#{partial}", context)
        return reswap(retarget(response, "#reply-form"), "outerHTML")
    return render(request, DETAIL, context, status=status)


@login_required
@permission_required("tickets.add_reply", raise_exception=True)
@require_POST
def ticket_reply(request: AuthenticatedHttpRequest, number: int) -> HttpResponse:
    ticket = selectors.ticket_get(number=number)
    form = ReplyForm(request.POST, request.FILES)
    reply = None
    if form.is_valid():
        data = form.cleaned_data
        seen = data["seen"]
        changed = [] if seen is None else list(services.changes_since(ticket=ticket, seen=seen, viewer=request.user))
        if changed:
            # Someone else changed the ticket since this page loaded: say so first; sending again sends.
            fresh = request.POST.copy()
            fresh["seen"] = str(changed[-1].pk)
            stale = ReplyForm(fresh, request.FILES)
            stale.is_valid()
            return _reply_form_again(
                request, ticket, stale, status=409, stale_changes=changed, files_dropped=bool(data["attachments"])
            )
        try:
            reply = services.reply_add(
                ticket=ticket,
                body=data["body"],
                kind=data["kind"],
                files=data["attachments"],
                macro=data["macro"],
                by=request.user,
            )
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
    if reply is None:
        return _reply_form_again(request, ticket, form)
    if request.htmx:
        ticket = selectors.ticket_get(number=number)
        reply = selectors.ticket_thread(ticket=ticket).get(pk=reply.pk)
        # A fresh, empty form comes with the new reply: a success never leaves the old text or error behind.
        return render(request, f"{DETAIL}#reply_appended", _detail_context(request, ticket, reply=reply))
    messages.success(request, _("Reply added.") if reply.kind == "public" else _("Note added."))
    return redirect("tickets:detail", number=ticket.number)


@login_required
@permission_required("tickets.change_ticket", raise_exception=True)
@require_POST
def ticket_portal_links_revoke(request: AuthenticatedHttpRequest, number: int) -> HttpResponse:
    ticket = selectors.ticket_get(number=number)
    send = request.POST.get("send_new_link") == "1"
    services.ticket_portal_links_revoke(
        ticket=ticket, by=request.user, send_new_link=send, site_url=request.build_absolute_uri("/")
    )
    note = " A new link is on its way to the requester." if send else " The link below is the new one."
    messages.success(request, _("Earlier status links of this ticket no longer work.") + note)
    return redirect("tickets:detail", number=ticket.number)


@login_required
@permission_required("tickets.view_ticket", raise_exception=True)
@require_GET
def attachment_download(request: AuthenticatedHttpRequest, number: int, pk: int) -> FileResponse:
    ticket = selectors.ticket_get(number=number)
    attachment = selectors.attachment_get(ticket=ticket, attachment_id=pk)
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )


@login_required
@permission_required("tickets.add_ticket", raise_exception=True)
@require_http_methods(["GET", "POST"])
def ticket_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = TicketCreateForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            contact = services.contact_ensure(email=data["requester_email"], name=data["requester_name"])
            ticket = services.ticket_create(
                subject=data["subject"],
                description=data["description"],
                priority=data["priority"],
                requester=contact,
                assignee=data["assignee"],
                tags=data["tags"],
                category=data["category"],
                files=data["attachments"],
                by=request.user,
            )
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(request, f"Ticket #{ticket.number} created.")
            return redirect("tickets:detail", number=ticket.number)
    status = 400 if form.is_bound else 200
    return render(request, "tickets/ticket_form.html", {"form": form}, status=status)


@login_required
@require_GET
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    context: dict[str, Any] = {}
    if request.user.has_perm("tickets.view_ticket"):
        stats = selectors.dashboard_stats()
        context = {"stats": stats, "chart": charts.created_vs_solved(stats.days)}
    return render(request, "tickets/dashboard.html", context)
