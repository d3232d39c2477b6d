"""Ticket events → outgoing webhook deliveries and mirrored comments (rows only; workers send them)."""

from __future__ import annotations

from typing import Any

from integrations.events.services import event_emit
from integrations.models import WebhookEvent
from integrations.services import reply_mirror
from tickets import signals
from tickets.models import Reply, Ticket


def on_ticket_created(*, ticket: Ticket, **kwargs: Any) -> None:
    event_emit(event=WebhookEvent.TICKET_CREATED, ticket=ticket)


def on_ticket_updated(*, ticket: Ticket, changes: list[Any], **kwargs: Any) -> None:
    fields = [{"field": e.field, "from": e.old_value, "to": e.new_value} for e in changes]
    event_emit(event=WebhookEvent.TICKET_UPDATED, ticket=ticket, extra={"changes": fields})


def on_reply_created(*, reply: Reply, **kwargs: Any) -> None:
    event_emit(event=WebhookEvent.REPLY_CREATED, ticket=reply.ticket, reply=reply)
    reply_mirror(reply=reply)


def connect() -> None:
    signals.ticket_created.connect(on_ticket_created, dispatch_uid="integrations.ticket_created")
    signals.ticket_updated.connect(on_ticket_updated, dispatch_uid="integrations.ticket_updated")
    signals.reply_created.connect(on_reply_created, dispatch_uid="integrations.reply_created")
