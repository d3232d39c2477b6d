"""Outgoing events (webhooks): endpoints, events queued as deliveries in the same transaction, delivery, redelivery."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from helpdesk import crypto
from helpdesk.celery import send_on_commit
from helpdesk.tenants.db import connection as db
from integrations import metrics, work
from integrations.base import TransportError, unexpected
from integrations.events import transport
from integrations.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from tickets.models import Reply, Ticket


def _clean(url: str, events: Sequence[str]) -> tuple[str, list[str]]:
    errors = {}
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        errors["url"] = "Enter an http:// or https:// address."
    unknown = [e for e in events if e not in WebhookEvent.values]
    if unknown:
        errors["events"] = f"Unknown events: {', '.join(unknown)}."
    if not events:
        errors["events"] = "Pick at least one event."
    if errors:
        raise ValidationError(errors)
    return url, list(dict.fromkeys(events))


@transaction.atomic
def endpoint_create(*, url: str, events: Sequence[str], description: str = "") -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret (shown once)."""
    url, events = _clean(url, events)
    secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint.objects.create(
        url=url, events=events, description=description.strip()[:200], secret_encrypted=crypto.encrypt(secret)
    )
    return endpoint, secret


@transaction.atomic
def endpoint_update(
    *, endpoint: WebhookEndpoint, url: str, events: Sequence[str], description: str = "", active: bool = True
) -> WebhookEndpoint:
    endpoint.url, endpoint.events = _clean(url, events)
    endpoint.description, endpoint.active = description.strip()[:200], active
    endpoint.save(update_fields=["url", "events", "description", "active"])
    return endpoint


def endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    endpoint.delete()


def ticket_data(ticket: Ticket) -> dict[str, Any]:
    return {
        "number": ticket.number,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "channel": ticket.channel,
        "category": ticket.category,
        "requester": {"email": ticket.requester.email, "name": ticket.requester.name},
        "assignee": ticket.assignee.email if ticket.assignee else None,
        "tags": sorted(tag.name for tag in ticket.tags.all()),
        "created_at": ticket.created_at.isoformat(),
        "updated_at": ticket.updated_at.isoformat() if ticket.updated_at else None,
    }


def reply_data(reply: Reply) -> dict[str, Any]:
    return {
        "id": reply.pk,
        "kind": reply.kind,
        "author": reply.author_display,
        "body": reply.body,
        "created_at": reply.created_at.isoformat(),
    }


def event_emit(
    *, event: str, ticket: Ticket, reply: Reply | None = None, extra: dict[str, Any] | None = None
) -> list[WebhookDelivery]:
    """Queue ``event`` for every active endpoint that wants it; sent by a worker after commit."""
    endpoints = list(WebhookEndpoint.objects.filter(active=True, events__contains=[event]))
    if not endpoints:
        return []
    data: dict[str, Any] = {"ticket": ticket_data(ticket), **(extra or {})}
    if reply is not None:
        data["reply"] = reply_data(reply)
    deliveries = []
    for endpoint in endpoints:
        delivery = WebhookDelivery(endpoint=endpoint, event=event, payload={})
        delivery.payload = {
            "id": str(delivery.event_id),
            "event": event,
            "tenant": db.schema_name,
            "created_at": timezone.now().isoformat(),
            "data": data,
        }
        deliveries.append(delivery)
    WebhookDelivery.objects.bulk_create(deliveries)
    for delivery in deliveries:
        _enqueue(delivery)
    return deliveries


def _enqueue(delivery: WebhookDelivery, countdown: float | None = None) -> None:
    # With the broker down the delivery stays pending and due: the integrations sweeper sends it.
    send_on_commit("integrations.tasks.webhook_deliver", delivery_id=delivery.pk, countdown=countdown)


def delivery_process(*, delivery_id: int) -> str:
    """Send one due delivery; a transient failure comes back with backoff, a 4xx fails at once."""
    delivery = work.claim(WebhookDelivery.objects.select_related("endpoint"), delivery_id)
    if delivery is None:
        return "skipped"
    endpoint = delivery.endpoint
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    started = time.perf_counter()
    try:
        sent = transport.post(
            url=endpoint.url,
            body=body,
            secret=crypto.decrypt(endpoint.secret_encrypted),
            event=delivery.event,
            delivery_id=str(delivery.event_id),
        )
    except Exception as exc:  # whatever breaks, the row must not stay claimed
        error = exc if isinstance(exc, TransportError) else unexpected(exc)
        seconds = getattr(error, "duration", time.perf_counter() - started)
        ours, delay = work.finish_error(delivery, error, response_ms=seconds * 1000)
        metrics.sync_observe(
            system="webhook", direction="outbound", status="retry" if delay is not None else "failed", seconds=seconds
        )
        if ours and delay is not None:
            send_on_commit("integrations.tasks.webhook_deliver", delivery_id=delivery.pk, countdown=delay)
        return "retry" if delay is not None else "failed"
    work.finish_ok(
        delivery, last_status_code=sent.status_code, response_ms=sent.seconds * 1000, response_excerpt=sent.excerpt
    )
    metrics.sync_observe(system="webhook", direction="outbound", status="ok", seconds=sent.seconds)
    return "ok"


@transaction.atomic
def delivery_redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send the same event again as a new delivery (same event id, so receivers can de-duplicate)."""
    again = WebhookDelivery.objects.create(
        endpoint=delivery.endpoint, event=delivery.event, event_id=delivery.event_id, payload=delivery.payload
    )
    _enqueue(again)
    return again


def delivery_due_ids(limit: int = 500) -> list[int]:
    return list(
        WebhookDelivery.objects.filter(work.overdue_q())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
