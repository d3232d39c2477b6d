"""SLA due times and breach marking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from tickets import metrics
from tickets.models import (
    UNRESOLVED,
    SLAPolicy,
    Ticket,
    TicketEvent,
)
from tickets.services.audit import audit_event


def sla_due_times(*, priority: str, start: datetime) -> tuple[datetime | None, datetime | None]:
    policy = SLAPolicy.objects.filter(priority=priority).first()
    if policy is None:
        return None, None
    return (
        start + timedelta(minutes=policy.first_response_minutes),
        start + timedelta(minutes=policy.resolution_minutes),
    )


@dataclass(frozen=True)
class BreachCount:
    first_response: int
    resolution: int


@transaction.atomic
def sla_mark_breaches(*, now: datetime | None = None) -> BreachCount:
    """Stamp tickets whose first-response or resolution target passed unmet (each once) and count them."""
    now = now or timezone.now()
    first = list(
        Ticket.objects.select_for_update(skip_locked=True).filter(
            first_response_at__isnull=True,
            first_response_due_at__lt=now,
            first_response_breached_at__isnull=True,
            status__in=UNRESOLVED,
        )
    )
    resolution = list(
        Ticket.objects.select_for_update(skip_locked=True).filter(
            resolution_due_at__lt=now, resolution_breached_at__isnull=True, status__in=UNRESOLVED
        )
    )
    events = []
    for ticket in first:
        ticket.first_response_breached_at = now
        events.append(audit_event(ticket, "SLA monitor", "sla_first_response", "", "breached"))
    for ticket in resolution:
        ticket.resolution_breached_at = now
        events.append(audit_event(ticket, "SLA monitor", "sla_resolution", "", "breached"))
    Ticket.objects.bulk_update(first, ["first_response_breached_at"])
    Ticket.objects.bulk_update(resolution, ["resolution_breached_at"])
    TicketEvent.objects.bulk_create(events)
    result = BreachCount(first_response=len(first), resolution=len(resolution))
    schema = connection.schema_name  # type: ignore[attr-defined]
    transaction.on_commit(lambda: metrics.sla_breaches_add(schema=schema, counts=result))
    return result
