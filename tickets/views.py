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
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from helpdesk.http import AuthenticatedHttpRequest
from tickets import charts, links, selectors, services
from tickets.filters import SORTS, VIEWS, TicketFilter
from tickets.forms import BULK_ACTIONS, BulkForm, ReplyForm, TicketCreateForm, TicketUpdateForm
from tickets.models import Status, Ticket

LIST = "tickets/ticket_list.html"
DETAIL = "tickets/ticket_detail.html"


def _list_context(request: AuthenticatedHttpRequest, query: QueryDict) -> dict[str, Any]:
    filterset = TicketFilter(query, queryset=selectors.ticket_queryset(), request=request)
    page = Paginator(filterset.qs, settings.TICKETS_PAGE_SIZE).get_page(query.get("page"))
    active_filters = {k: v for k, v in query.items() if v and k not in ("page", "sort")}
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
    }


@login_required
@permission_required("tickets.view_ticket", raise_exception=True)
@require_GET
def ticket_list(request: AuthenticatedHttpRequest) -> HttpResponse:
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
    return {
        "ticket": ticket,
        "thread": selectors.ticket_thread(ticket=ticket),
        "events": selectors.ticket_events(ticket=ticket),
        "agents": selectors.agent_list(),
        "statuses": Status.choices,
        "allowed_statuses": {ticket.status, *services.TRANSITIONS[ticket.status]},
        "priorities": ticket._meta.get_field("priority").choices,
        "reply_form": ReplyForm(),
        "portal_link": request.build_absolute_uri(links.portal_path(ticket)),
        "attachment_types": ", ".join(settings.TICKETS_ATTACHMENT_TYPES),
        "attachment_max_mb": settings.TICKETS_ATTACHMENT_MAX_MB,
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
        messages.success(request, "Ticket updated.")
    return redirect("tickets:detail", number=ticket.number)


@login_required
@permission_required("tickets.add_reply", raise_exception=True)
@require_POST
def ticket_reply(request: AuthenticatedHttpRequest, number: int) -> HttpResponse:
    ticket = selectors.ticket_get(number=number)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            reply = services.reply_add(
                ticket=ticket,
                body=form.cleaned_data["body"],
                kind=form.cleaned_data["kind"],
                files=form.cleaned_data["attachments"],
                by=request.user,
            )
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
    if form.errors:
        if request.htmx:
            response = render(request, f"{DETAIL}#reply_form", _detail_context(request, ticket, reply_form=form))
            return reswap(retarget(response, "#reply-form"), "outerHTML")
        return render(request, DETAIL, _detail_context(request, ticket, reply_form=form), status=400)
    if request.htmx:
        ticket = selectors.ticket_get(number=number)
        reply = selectors.ticket_thread(ticket=ticket).get(pk=reply.pk)
        return render(request, f"{DETAIL}#reply_appended", _detail_context(request, ticket, reply=reply))
    messages.success(request, "Reply added." if reply.kind == "public" else "Note added.")
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
    messages.success(request, "Earlier status links of this ticket no longer work." + note)
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
    form = TicketCreateForm(request.POST or None)
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
