"""The integrations monitor page, the ticket page's integration panel, escalate and retry."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from assistants.selectors import latest_answer
from helpdesk.http import AuthenticatedHttpRequest
from integrations import selectors, services
from integrations.forms import EscalateForm
from integrations.models import Outcome, WorkStatus
from integrations.services.outbox import outbox_retry
from tickets.models import Ticket
from tickets.selectors import ticket_get

PANEL = "integrations/ticket_panel.html"


@login_required
@permission_required("integrations.view_connection", raise_exception=True)
@require_GET
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    connections = selectors.connection_list()
    depth = selectors.outbox_depth_by_system()
    failures = Paginator(selectors.outbox_failed(), 20).get_page(request.GET.get("page"))
    missing = selectors.refs_missing()[:50]
    outcome = request.GET.get("outcome", "")
    outcome = outcome if outcome in Outcome.values else ""
    logs = selectors.sync_log_recent(limit=50, outcome=outcome)
    configured = {c.system for c in connections}
    context = {
        "connections": [(c, depth.get(c.system, 0)) for c in connections],
        "unconfigured": [(value, label) for value, label in selectors.systems() if value not in configured],
        "failures": failures,
        "missing": missing,
        "logs": logs,
        "outcome": outcome,
        "outcomes": Outcome.choices,
        "endpoints": selectors.endpoint_list(),
        "deliveries": selectors.delivery_recent(limit=20),
        "depth_total": sum(depth.values()),
    }
    template = (
        "integrations/index.html#monitor" if request.htmx and request.GET.get("partial") else "integrations/index.html"
    )
    return render(request, template, context)


def _panel(request: AuthenticatedHttpRequest, ticket: Ticket, **extra: object) -> HttpResponse:
    refs = selectors.ticket_refs(ticket=ticket)
    # A link made on a site the connection moved away from does not stop an escalation to the new one.
    linked = {ref.connection_id for ref in refs if ref.current}
    # A failed attempt that a later escalation made good is history, not something to retry.
    outbox = [
        i for i in selectors.ticket_outbox(ticket=ticket) if not (i.status == "failed" and i.connection_id in linked)
    ]
    busy = {item.connection_id for item in outbox if item.status in (WorkStatus.PENDING, WorkStatus.RUNNING)}
    available = [c for c in selectors.connection_list() if c.enabled and c.pk not in linked and c.pk not in busy]
    recommendation = None
    answer = latest_answer(ticket)
    if answer is not None and (answer.result or {}).get("escalate"):
        recommendation = (
            "; ".join(map(str, answer.result.get("reasons") or [])) or "the assistant suggests a person takes over"
        )
    context = {
        "ticket": ticket,
        "refs": refs,
        "outbox": outbox,
        "pending": bool(busy),
        "available": available,
        "recommendation": recommendation if available else None,
        "history": selectors.ticket_sync_log(ticket=ticket),
        **extra,
    }
    return render(request, f"{PANEL}#panel", context)


@login_required
@permission_required("tickets.view_ticket", raise_exception=True)
@require_GET
def ticket_panel(request: AuthenticatedHttpRequest, number: int) -> HttpResponse:
    return _panel(request, ticket_get(number=number))


@login_required
@require_POST
def ticket_escalate(request: AuthenticatedHttpRequest, number: int) -> HttpResponse:
    ticket = ticket_get(number=number)  # 404 for a ticket of another tenant, before any 403
    if not (request.user.has_perm("integrations.add_outboxitem") and request.user.has_perm("tickets.change_ticket")):
        raise PermissionDenied
    form = EscalateForm(request.POST)
    if not form.is_valid():
        return _panel(request, ticket, error=_("Choose Jira or Zendesk."))
    try:
        services.ticket_escalate(
            ticket=ticket,
            system=form.cleaned_data["system"],
            by=request.user,
            source=form.cleaned_data.get("source") or "agent",
            reasons=form.cleaned_data.get("reasons") or "",
        )
    except ValidationError as exc:
        return _panel(request, ticket, error=" ".join(exc.messages))
    if not request.htmx:
        return redirect("tickets:detail", number=ticket.number)
    return _panel(request, ticket)


@login_required
@require_POST
def retry(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = selectors.outbox_item_get(pk=pk)
    if not request.user.has_perm("integrations.change_outboxitem"):
        raise PermissionDenied
    again = outbox_retry(item=item)
    if request.htmx and request.POST.get("from") == "ticket":
        error = None if again else _("This escalation cannot run again (it is not failed, or a newer one is live).")
        return _panel(request, item.ticket, error=error)
    if again:
        messages.success(
            request,
            _("Escalation of #%(number)s to %(system)s queued again.")
            % {"number": item.ticket.number, "system": item.connection.get_system_display()},
        )
    else:
        messages.error(request, _("This escalation cannot run again (it is not failed, or a newer one is live)."))
    return redirect("integrations:index")
