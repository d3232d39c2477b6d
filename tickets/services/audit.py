"""Who acts, and the audit rows their changes leave."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from helpdesk.accounts.models import User
from tickets.models import (
    Contact,
    Ticket,
    TicketEvent,
)

UNSET: Any = object()


def actor_of(by: object) -> tuple[User | None, str]:
    if isinstance(by, User):
        return by, ""
    if isinstance(by, Contact):
        return None, f"Customer {by.email}"
    return None, str(by) if by is not None else "System"


def audit_event(ticket: Ticket, by: object, name: str, old: object = "", new: object = "") -> TicketEvent:
    user, label = actor_of(by)
    return TicketEvent(
        ticket=ticket,
        ticket_number=ticket.number,
        actor=user,
        actor_name=label,
        field=name,
        old_value=as_text(old),
        new_value=as_text(new),
    )


def as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
