"""Ticket events → outgoing webhook deliveries and mirrored comments (rows only; workers send them).

Listeners of ``tickets.extensions``, registered in ``IntegrationsConfig.ready()``.
"""

from __future__ import annotations

from typing import Any

from integrations.events.services import event_emit
from integrations.models import WebhookEvent
from integrations.services import reply_mirror
from tickets.models import Reply, Ticket


def on_ticket_created(*, ticket: Ticket, **kwargs: Any) -> None:
    event_emit(event=WebhookEvent.TICKET_CREATED, ticket=ticket)


def on_ticket_updated(*, ticket: Ticket, changes: list[Any], **kwargs: Any) -> None:
    fields = [{"field": e.field, "from": e.old_value, "to": e.new_value} for e in changes]
    event_emit(event=WebhookEvent.TICKET_UPDATED, ticket=ticket, extra={"changes": fields})


def on_reply_created(*, reply: Reply, **kwargs: Any) -> None:
    event_emit(event=WebhookEvent.REPLY_CREATED, ticket=reply.ticket, reply=reply)
    reply_mirror(reply=reply)
