"""Bringing a linked issue's status and public comments back to the ticket (webhooks and the pull).

A resolved issue moves the ticket to the connection's status and leaves an internal note; new
comments become internal notes. Our own comments (they carry an echo mark, and their remote
ids are recorded) and comments already brought in never come back twice.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from integrations import metrics
from integrations.base import RemoteComment, Transport, TransportError
from integrations.models import (
    Connection,
    Direction,
    ExternalRef,
    InboundDelivery,
    IntegrationSyncLog,
    Outcome,
    SyncedComment,
    WebhookDelivery,
    WorkStatus,
)
from integrations.registry import transport_for
from integrations.services.outbox import note_quietly
from tickets.models import Status
from tickets.services import TRANSITIONS, ticket_update

logger = logging.getLogger(__name__)
ECHO_RE = re.compile(r"\[helpdesk:[\w-]+:reply:\d+\]")


@dataclass
class Applied:
    changes: list[str] = field(default_factory=list)
    skipped_comments: int = 0


def remote_apply(
    *,
    ref: ExternalRef,
    status: str | None = None,
    resolved: bool | None = None,
    comments: Iterable[RemoteComment] = (),
) -> Applied:
    """Apply what the tracker says about ``ref``'s issue; returns the changes made on our side."""
    result = Applied()
    with transaction.atomic():
        ref = ExternalRef.objects.select_for_update().select_related("connection", "ticket").get(pk=ref.pk)
        conn, ticket = ref.connection, ref.ticket
        label = f"{conn.get_system_display()} integration"
        updates = ["last_synced_at"]
        ref.last_synced_at = timezone.now()
        if ref.missing_since is not None:  # the tracker answers for the issue again
            ref.missing_since, ref.missing_reason = None, ""
            updates += ["missing_since", "missing_reason"]
            result.changes.append("found again")
        if status and status != ref.remote_status:
            ref.remote_status = status
            updates.append("remote_status")
            result.changes.append(f"status {status}")
        if resolved is True and not ref.remote_resolved:
            ref.remote_resolved = True
            updates.append("remote_resolved")
            target = conn.resolved_status
            moved = ""
            if ticket.status != target and target in TRANSITIONS.get(ticket.status, frozenset()):
                try:
                    ticket_update(ticket=ticket, by=label, status=target)
                    moved = f"; the ticket is now {Status(target).label.lower()}"
                except ValidationError:
                    moved = ""
            note_quietly(
                ticket=ticket,
                body=f"{ref.key} was resolved in {conn.get_system_display()} ({status or 'resolved'}){moved}.",
                by=label,
            )
            result.changes.append("resolved")
        elif resolved is False and ref.remote_resolved:
            ref.remote_resolved = False
            updates.append("remote_resolved")
            note_quietly(
                ticket=ticket, body=f"{ref.key} was reopened in {conn.get_system_display()} ({status}).", by=label
            )
            result.changes.append("reopened")
        ref.save(update_fields=updates)
        known = set(SyncedComment.objects.filter(external_ref=ref).values_list("remote_id", flat=True))
        for comment in comments:
            if (
                comment.remote_id in known
                or not comment.public
                or ECHO_RE.search(comment.body)
                or not comment.body.strip()
            ):
                result.skipped_comments += 1
                continue
            try:
                with transaction.atomic():
                    synced = SyncedComment.objects.create(
                        external_ref=ref, remote_id=comment.remote_id, direction=Direction.INBOUND
                    )
            except IntegrityError:
                result.skipped_comments += 1
                continue
            note = note_quietly(
                ticket=ticket,
                body=f"{comment.author} commented on {ref.key} in {conn.get_system_display()}:"
                f"\n\n{comment.body.strip()}",
                by=f"{conn.get_system_display()} · {comment.author}"[:200],
            )
            if note is not None:
                SyncedComment.objects.filter(pk=synced.pk).update(reply=note)
            known.add(comment.remote_id)
            result.changes.append(f"comment {comment.remote_id}")
    return result


def sync_log(
    *,
    conn: Connection | None,
    system: str,
    direction: str,
    operation: str,
    outcome: str,
    started: float,
    ticket_id: int | None = None,
    status_code: int | None = None,
    error: str = "",
    request: dict[str, Any] | None = None,
) -> None:
    seconds = time.perf_counter() - started
    IntegrationSyncLog.objects.create(
        system=system,
        connection=conn,
        ticket_id=ticket_id,
        direction=direction,
        operation=operation,
        outcome=outcome,
        status_code=status_code,
        duration_ms=seconds * 1000,
        request=request or {},
        error=error[:2000],
    )
    metrics.sync_observe(system=system, direction=direction, status=outcome, seconds=seconds)


@dataclass
class PullSummary:
    checked: int = 0
    changed: int = 0
    missing: int = 0
    error: str = ""


# What a tracker answers for an issue that was deleted, moved away or hidden from our account.
GONE_STATUS = {404, 410}


def ref_mark_missing(*, ref: ExternalRef, reason: str) -> bool:
    """Record on the link (and once on the ticket) that its issue cannot be read any more.

    Returns True the first time, so that the caller logs it once, not at every pull.
    """
    with transaction.atomic():
        ref = ExternalRef.objects.select_for_update().select_related("connection", "ticket").get(pk=ref.pk)
        first = ref.missing_since is None
        ref.missing_reason = reason[:2000]
        if first:
            ref.missing_since = timezone.now()
        ref.save(update_fields=["missing_since", "missing_reason"])
        if first:
            label = ref.connection.get_system_display()
            note_quietly(
                ticket=ref.ticket,
                body=f"{ref.key} can no longer be read in {label} ({reason}); its status and comments "
                "stop coming back to this ticket until it can be read again.",
                by=f"{label} integration",
            )
    return first


def _pull_one(*, connection: Connection, transport: Transport, ref: ExternalRef, summary: PullSummary) -> None:
    started = time.perf_counter()

    def log(outcome: str, request: dict[str, Any], error: TransportError | None = None) -> None:
        sync_log(
            conn=connection,
            system=connection.system,
            direction=Direction.INBOUND,
            operation="pull",
            outcome=outcome,
            started=started,
            ticket_id=ref.ticket_id,
            status_code=error.status_code if error else None,
            error=f"{ref.key}: {error.reason}" if error else "",
            request={"key": ref.key, **request},
        )

    try:
        issue = transport.get(ref.key)
        comments = transport.comments(ref.key)
    except TransportError as exc:
        if exc.status_code not in GONE_STATUS:
            raise  # the tracker itself is failing: every other issue would fail the same way
        summary.missing += 1
        if ref_mark_missing(ref=ref, reason=exc.reason):
            log(Outcome.FAILED, {"missing": True}, exc)
        return
    applied = remote_apply(ref=ref, status=issue.status, resolved=issue.resolved, comments=comments)
    if applied.changes:
        summary.changed += 1
        log(Outcome.OK, {"changes": applied.changes})


def pull_connection(*, connection: Connection, limit: int = 200) -> PullSummary:
    """The webhook fallback: read each open linked issue's status and comments and apply them.

    An issue the tracker no longer has is marked on its link and skipped; the others go on.
    Links made on a site the connection has moved away from are left alone (their keys may
    name other issues on the new site). Missing issues are checked after the others, so that
    many of them cannot crowd the rest out of ``limit``.
    """
    summary = PullSummary()
    started = time.perf_counter()
    refs = (
        ExternalRef.objects.filter(connection=connection, instance=connection.instance)
        .exclude(ticket__status=Status.CLOSED)
        .order_by(F("missing_since").asc(nulls_first=True), F("last_synced_at").asc(nulls_first=True))[:limit]
    )
    try:
        transport = transport_for(connection)
        for ref in refs:
            _pull_one(connection=connection, transport=transport, ref=ref, summary=summary)
            summary.checked += 1
    except TransportError as exc:
        summary.error = exc.reason
    now = timezone.now()
    health = {"last_failure_at": now, "last_error": summary.error} if summary.error else {"last_success_at": now}
    Connection.objects.filter(pk=connection.pk).update(last_pull_at=now, **health)
    sync_log(
        conn=connection,
        system=connection.system,
        direction=Direction.INBOUND,
        operation="pull",
        outcome=Outcome.FAILED if summary.error else Outcome.OK,
        started=started,
        error=summary.error,
        request={"checked": summary.checked, "changed": summary.changed, "missing": summary.missing},
    )
    return summary


def history_prune() -> int:
    """Forget sync log rows, finished outgoing deliveries and seen delivery ids past the retention."""
    cutoff = timezone.now() - timedelta(days=settings.INTEGRATIONS_RETENTION_DAYS)
    removed = IntegrationSyncLog.objects.filter(created_at__lt=cutoff).delete()[0]
    removed += InboundDelivery.objects.filter(received_at__lt=cutoff).delete()[0]
    removed += WebhookDelivery.objects.filter(status=WorkStatus.DONE, created_at__lt=cutoff).delete()[0]
    return removed


def delivery_accept(*, system: str, delivery_id: str) -> bool:
    """Record a webhook delivery id; False when it was handled before (a replay)."""
    if not delivery_id:
        return True
    try:
        with transaction.atomic():
            InboundDelivery.objects.create(system=system, delivery_id=delivery_id[:200])
    except IntegrityError:
        return False
    return True


def json_object(value: Any) -> dict[str, Any]:
    """``value`` if a webhook payload gave a JSON object there, else an empty one."""
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class InboundEvent:
    """What one webhook delivery says about one issue."""

    kind: str
    key: str
    status: str | None = None
    resolved: bool | None = None
    comments: tuple[RemoteComment, ...] = ()


def inbound_handle(
    *, conn: Connection, delivery_id: str, event: InboundEvent | None, started: float, reference: str = ""
) -> tuple[int, dict[str, Any]]:
    """Apply a verified delivery once: (HTTP status, body) for the webhook view.

    ``delivery_id`` is what tells deliveries apart (derived from what was signed); ``reference``
    is the sender's own id for the log, to find the delivery in the tracker's records.
    """
    system = conn.system
    with transaction.atomic():
        if not delivery_accept(system=system, delivery_id=delivery_id):
            sync_log(
                conn=conn,
                system=system,
                direction=Direction.INBOUND,
                operation="webhook",
                outcome=Outcome.IGNORED,
                started=started,
                request={"delivery": reference, "why": "replayed delivery"},
            )
            return 200, {"status": "duplicate", "detail": "This delivery was handled before."}
        ref = (
            ExternalRef.objects.filter(connection=conn, instance=conn.instance, key=event.key).first()
            if event is not None
            else None
        )
        if event is None or ref is None:
            why = "event not used" if event is None else f"{event.key} is not linked to a ticket"
            sync_log(
                conn=conn,
                system=system,
                direction=Direction.INBOUND,
                operation="webhook",
                outcome=Outcome.IGNORED,
                started=started,
                request={"delivery": reference, "why": why},
            )
            return 202, {"status": "ignored", "detail": why}
        applied = remote_apply(ref=ref, status=event.status, resolved=event.resolved, comments=event.comments)
        sync_log(
            conn=conn,
            system=system,
            direction=Direction.INBOUND,
            operation="webhook",
            outcome=Outcome.OK,
            started=started,
            ticket_id=ref.ticket_id,
            request={"delivery": reference, "event": event.kind, "key": event.key, "changes": applied.changes},
        )
    return 200, {"status": "ok", "ticket": ref.ticket.number, "changes": applied.changes}


def inbound_refused(*, conn: Connection | None, system: str, reason: str, started: float) -> None:
    """An unsigned or wrongly signed call: counted and logged, never a sync log row (anyone can send them)."""
    logger.warning("refused a %s webhook call: %s", system, reason)
    metrics.sync_observe(
        system=system, direction=Direction.INBOUND, status=Outcome.FAILED, seconds=time.perf_counter() - started
    )
