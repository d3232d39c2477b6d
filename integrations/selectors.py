"""Reads of the integrations app, all in the current tenant's schema."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.http import Http404

from integrations.models import (
    Connection,
    ExternalRef,
    IntegrationSyncLog,
    OutboxItem,
    WebhookDelivery,
    WebhookEndpoint,
    WorkStatus,
)
from integrations.registry import system_choices
from tickets.models import Ticket

LIVE = (WorkStatus.PENDING, WorkStatus.RUNNING)


def connection_list() -> list[Connection]:
    return list(Connection.objects.all())


def connection_get(*, system: str) -> Connection | None:
    return Connection.objects.filter(system=system).first()


def connection_enabled(*, system: str) -> Connection | None:
    return Connection.objects.filter(system=system, enabled=True).first()


def outbox_depth_by_system() -> dict[str, int]:
    rows = OutboxItem.objects.filter(status__in=LIVE).values("connection__system").annotate(n=Count("id"))
    return {row["connection__system"]: row["n"] for row in rows}


def outbox_failed() -> QuerySet[OutboxItem]:
    return OutboxItem.objects.filter(status=WorkStatus.FAILED).select_related("connection", "ticket")


def outbox_item_get(*, pk: int | str) -> OutboxItem:
    try:
        return OutboxItem.objects.select_related("connection", "ticket").get(pk=int(pk))
    except (OutboxItem.DoesNotExist, ValueError, OverflowError):
        raise Http404("No such escalation.") from None


def sync_log_recent(*, limit: int = 50, outcome: str = "") -> QuerySet[IntegrationSyncLog]:
    logs = IntegrationSyncLog.objects.select_related("ticket")
    return (logs.filter(outcome=outcome) if outcome else logs)[:limit]


def ticket_refs(*, ticket: Ticket) -> list[ExternalRef]:
    return list(ExternalRef.objects.filter(ticket=ticket).select_related("connection"))


def ticket_outbox(*, ticket: Ticket) -> list[OutboxItem]:
    return list(
        OutboxItem.objects.filter(ticket=ticket, action="create")
        .exclude(status=WorkStatus.DONE)
        .select_related("connection")
    )


def ticket_sync_log(*, ticket: Ticket, limit: int = 15) -> list[IntegrationSyncLog]:
    return list(IntegrationSyncLog.objects.filter(ticket=ticket)[:limit])


def refs_missing() -> QuerySet[ExternalRef]:
    """Links whose issue the tracker no longer has: their ticket gets no status or comments back."""
    return (
        ExternalRef.objects.filter(missing_since__isnull=False)
        .select_related("connection", "ticket")
        .order_by("-missing_since", "-id")
    )


def ref_for_remote(*, system: str, key: str) -> ExternalRef | None:
    return ExternalRef.objects.filter(system=system, key=key).select_related("connection", "ticket").first()


def endpoint_list() -> list[WebhookEndpoint]:
    return list(WebhookEndpoint.objects.all())


def endpoint_get(*, pk: int | str) -> WebhookEndpoint:
    try:
        return WebhookEndpoint.objects.get(pk=int(pk))
    except (WebhookEndpoint.DoesNotExist, ValueError, OverflowError):
        raise Http404("No such webhook.") from None


def delivery_get(*, pk: int | str) -> WebhookDelivery:
    try:
        return WebhookDelivery.objects.select_related("endpoint").get(pk=int(pk))
    except (WebhookDelivery.DoesNotExist, ValueError, OverflowError):
        raise Http404("No such delivery.") from None


def delivery_recent(*, limit: int = 30) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.select_related("endpoint")[:limit]


def systems() -> list[tuple[str, str]]:
    return system_choices()
