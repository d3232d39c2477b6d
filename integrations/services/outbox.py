"""The outbox worker: claim a row, talk to the tracker, record the link and the log, or retry.

Idempotent end to end: before creating, the issue is looked up by the ticket's marker (a Jira
label / Zendesk external id), creates carry the row's idempotency key, and Jira's remote link
is upserted by globalId; so a worker killed after the remote create but before the commit is
followed by one that finds the issue and links it, never by a second issue.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from assistants.selectors import latest_answer
from helpdesk.celery import send_on_commit
from helpdesk.tenants.db import connection as db
from integrations import metrics, work
from integrations.base import EscalationRequest, RemoteIssue, Transport, TransportError, unexpected
from integrations.events.services import event_emit
from integrations.models import (
    Action,
    Connection,
    Direction,
    ExternalRef,
    IntegrationSyncLog,
    OutboxItem,
    Outcome,
    SyncedComment,
    WebhookEvent,
    WorkStatus,
)
from integrations.registry import transport_for
from tickets.models import Reply, ReplyKind, Ticket
from tickets.services import note_add

logger = logging.getLogger(__name__)
# Appended to what we send, so that our own comments are recognised when they come back.
ECHO_MARK = "[helpdesk:{schema}:reply:{reply_id}]"


def note_quietly(*, ticket: Ticket, body: str, by: object) -> Reply | None:
    """An internal note from an integration; a closed ticket takes none, and that must not fail a sync."""
    try:
        return note_add(ticket=ticket, body=body, by=by)
    except ValidationError:
        return None


def ticket_marker(ticket: Ticket) -> str:
    return f"helpdesk-{db.schema_name}-{ticket.number}"


def ticket_url(ticket: Ticket) -> str:
    path = reverse("tickets:detail", kwargs={"number": ticket.number})
    if settings.INTEGRATIONS_PUBLIC_URL:
        return settings.INTEGRATIONS_PUBLIC_URL.rstrip("/") + path
    tenant = getattr(db, "tenant", None)
    domain = tenant.get_primary_domain() if tenant is not None and hasattr(tenant, "get_primary_domain") else None
    host = domain.domain if domain is not None else f"{db.schema_name}.{settings.TENANT_BASE_DOMAIN}"
    return f"http://{host}{path}"


def _thread(ticket: Ticket, limit: int = 20) -> str:
    replies = ticket.replies.exclude(kind=ReplyKind.AI_DRAFT).select_related("author_user", "author_contact")
    lines = []
    for reply in list(replies.order_by("-created_at", "-id")[:limit])[::-1]:
        kind = "note" if reply.kind == ReplyKind.INTERNAL_NOTE else "reply"
        lines.append(f"*{reply.author_display}* ({kind}, {reply.created_at:%Y-%m-%d %H:%M}):\n{reply.body.strip()}")
    return "\n\n".join(lines)


def _ai_summary(ticket: Ticket) -> str:
    answer = latest_answer(ticket)
    if answer is None:
        return ""
    result: dict[str, Any] = answer.result or {}
    parts = []
    if result.get("request_type"):
        parts.append(f"Request type: {result['request_type']} ({float(result.get('confidence') or 0):.0%})")
    if result.get("reasons"):
        parts.append("Escalation reasons: " + "; ".join(map(str, result["reasons"])))
    if result.get("text"):
        parts.append(f"Draft answer: {str(result['text']).strip()[:1500]}")
    return "\n".join(parts)


def escalation_request(item: OutboxItem) -> EscalationRequest:
    ticket, conn = item.ticket, item.connection
    url = ticket_url(ticket)
    sections = [
        f"Escalated from helpdesk ticket #{ticket.number}: {url}",
        f"Requester: {ticket.requester}",
        f"Priority: {ticket.get_priority_display()} · Status: {ticket.get_status_display()}"
        + (f" · Category: {ticket.category}" if ticket.category else ""),
    ]
    if item.reasons:
        sections.append(f"Why: {item.reasons}")
    if ticket.description:
        sections.append(f"Description:\n{ticket.description.strip()}")
    if summary := _ai_summary(ticket):
        sections.append(f"AI summary:\n{summary}")
    if thread := _thread(ticket):
        sections.append(f"Thread:\n{thread}")
    labels = [tag.name for tag in ticket.tags.all()] if conn.send_tags else []
    return EscalationRequest(
        marker=ticket_marker(ticket),
        idempotency_key=str(item.key),
        global_id=f"helpdesk:{db.schema_name}:ticket:{ticket.number}",
        summary=f"[#{ticket.number}] {ticket.subject}"[:250],
        description="\n\n".join(sections)[:30000],
        priority=(conn.priority_map or {}).get(ticket.priority) or None,
        labels=labels,
        category=ticket.category,
        ticket_url=url,
        ticket_title=f"Helpdesk #{ticket.number}: {ticket.subject}"[:250],
    )


def _log(
    item: OutboxItem,
    *,
    operation: str,
    outcome: str,
    started: float,
    error: TransportError | None = None,
    request: dict[str, Any] | None = None,
) -> float:
    seconds = time.perf_counter() - started
    IntegrationSyncLog.objects.create(
        system=item.connection.system,
        connection=item.connection,
        ticket=item.ticket,
        direction=Direction.OUTBOUND,
        operation=operation,
        outcome=outcome,
        status_code=error.status_code if error else None,
        duration_ms=seconds * 1000,
        request=request or {},
        error=error.reason if error else "",
    )
    metrics.sync_observe(system=item.connection.system, direction="outbound", status=outcome, seconds=seconds)
    return seconds


def _connection_health(conn: Connection, error: TransportError | None) -> None:
    now = timezone.now()
    if error is None:
        Connection.objects.filter(pk=conn.pk).update(last_success_at=now)
    else:
        Connection.objects.filter(pk=conn.pk).update(last_failure_at=now, last_error=error.reason[:2000])


def _do_create(item: OutboxItem, transport: Transport) -> tuple[RemoteIssue, bool]:
    request = escalation_request(item)
    issue = transport.find(request.marker)
    found = issue is not None
    if issue is None:
        issue = transport.create(request)
    transport.ensure_link(issue, request)
    return issue, found


def _record_create(item: OutboxItem, issue: RemoteIssue, found: bool) -> bool:
    with transaction.atomic():
        if not work.finish_ok(item):
            return False  # another worker took this row over; it will link the same issue
        ref, _ = ExternalRef.objects.update_or_create(
            ticket=item.ticket,
            connection=item.connection,
            instance=item.connection.instance,
            defaults={
                "system": item.connection.system,
                "key": issue.key,
                "remote_id": issue.remote_id,
                "url": issue.url,
                "remote_status": issue.status,
                "remote_resolved": issue.resolved,
                "last_synced_at": timezone.now(),
            },
        )
        label = item.connection.get_system_display()
        note_quietly(
            ticket=item.ticket,
            body=f"Escalated to {label}: {issue.key} {issue.url}"
            + (" (found the issue made by an earlier attempt)" if found else ""),
            by=f"{label} integration",
        )
        event_emit(
            event=WebhookEvent.TICKET_ESCALATED,
            ticket=item.ticket,
            extra={"escalation": {"system": ref.system, "key": ref.key, "url": ref.url}},
        )
    return True


def _do_comment(item: OutboxItem, transport: Transport) -> None:
    conn = item.connection
    ref = ExternalRef.objects.filter(ticket=item.ticket, connection=conn, instance=conn.instance).first()
    if ref is None:
        raise TransportError(
            f"Ticket #{item.ticket.number} is not linked to an issue at {conn.base_url} "
            "(its link was made on the tracker's previous address)",
            permanent=True,
        )
    reply = item.reply
    assert reply is not None
    mark = ECHO_MARK.format(schema=db.schema_name, reply_id=reply.pk)
    # A retried comment whose first try reached the tracker is found by its mark, not sent twice.
    if any(mark in comment.body for comment in transport.comments(ref.key)):
        return
    body = f"{reply.author_display} wrote on helpdesk ticket #{item.ticket.number}:\n\n{reply.body.strip()}\n\n{mark}"
    remote_id = transport.add_comment(ref.key, body)
    if remote_id:
        SyncedComment.objects.get_or_create(
            external_ref=ref, remote_id=remote_id, defaults={"reply": reply, "direction": Direction.OUTBOUND}
        )


def _failed(item: OutboxItem, *, operation: str, started: float, exc: Exception, issue: RemoteIssue | None) -> str:
    """Record a failed attempt: retried later when transient, else failed with its reason and a Retry button."""
    if isinstance(exc, TransportError):
        error = exc
    else:
        logger.exception("outbox item %s failed unexpectedly", item.pk)
        error = unexpected(exc)
        if isinstance(exc, IntegrityError) and issue is not None:
            error = TransportError(
                f"{issue.key} was made in {item.connection.get_system_display()} but cannot be linked: "
                f"{issue.key} there is already linked to a ticket. Retry links the same issue once that link is gone.",
                permanent=True,
            )
    ours, delay = work.finish_error(item, error)
    outcome = Outcome.RETRY if delay is not None else Outcome.FAILED
    request: dict[str, Any] = {"attempt": item.attempts}
    if issue is not None:
        request["key"] = issue.key
    _log(item, operation=operation, outcome=outcome, started=started, error=error, request=request)
    _connection_health(item.connection, error)
    if ours and delay is not None:
        send_on_commit("integrations.tasks.outbox_run", item_id=item.pk, countdown=delay)
    return str(outcome)


def outbox_process(*, item_id: int) -> str:
    """Run one outbox row if it is due; returns what happened (for logs and the benchmark).

    Whatever breaks, on the tracker's side or ours (recording the link included), the row ends
    pending for a retry or failed with the reason; it never stays claimed by a dead attempt.
    """
    item = work.claim(OutboxItem.objects.select_related("connection", "ticket", "reply"), item_id)
    if item is None:
        return "skipped"
    started = time.perf_counter()
    operation = "create" if item.action == Action.CREATE else "comment"
    issue: RemoteIssue | None = None
    try:
        transport = transport_for(item.connection)
        if item.action == Action.CREATE:
            issue, found = _do_create(item, transport)
            if not _record_create(item, issue, found):
                return "lost-claim"
            request = {"key": issue.key, "found_existing": found, "attempt": item.attempts}
        else:
            _do_comment(item, transport)
            if not work.finish_ok(item):
                return "lost-claim"
            request = {"reply": item.reply_id, "attempt": item.attempts}
    except Exception as exc:  # whatever breaks, the row must not stay claimed
        return _failed(item, operation=operation, started=started, exc=exc, issue=issue)
    _log(item, operation=operation, outcome=Outcome.OK, started=started, request=request)
    _connection_health(item.connection, None)
    return "found" if item.action == Action.CREATE and found else "ok"


def outbox_due_ids(limit: int = 500) -> list[int]:
    return list(
        OutboxItem.objects.filter(work.overdue_q()).order_by("next_attempt_at").values_list("pk", flat=True)[:limit]
    )


def outbox_enqueue(item: OutboxItem) -> None:
    # With the broker down the row stays pending and due: the integrations sweeper sends it.
    send_on_commit("integrations.tasks.outbox_run", item_id=item.pk)


def outbox_retry(*, item: OutboxItem) -> bool:
    """The Retry button: a failed row runs again now with its attempts reset."""
    try:
        with transaction.atomic():
            # It runs against the site the connection points at now, which may not be the one it was asked for.
            OutboxItem.objects.filter(pk=item.pk, status=WorkStatus.FAILED).update(instance=item.connection.instance)
            again = work.reset_for_retry(OutboxItem.objects.all(), item.pk)
    except IntegrityError:
        return False  # a newer escalation of this ticket to the same tracker is live
    if again:
        outbox_enqueue(item)
    return again


def outbox_depth() -> int:
    return OutboxItem.objects.filter(status__in=(WorkStatus.PENDING, WorkStatus.RUNNING)).count()
