"""Canned replies (macros): text with placeholders, and the actions that come with sending one."""

from __future__ import annotations

import string
from typing import Any

from django.core.exceptions import ValidationError

from tickets.models import Macro, Ticket
from tickets.services.audit import actor_of
from tickets.services.contacts import parse_tags
from tickets.services.workflow import ticket_update

PLACEHOLDERS = ("customer_name", "customer_email", "ticket_number", "ticket_subject", "agent_name")


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"  # an unknown placeholder stays visible, for the agent to fix


def macro_check(body: str) -> None:
    """``ValidationError`` for a placeholder we do not know or a stray brace."""
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(body) if name is not None}
    except ValueError as exc:
        raise ValidationError(f"Braces do not match ({exc}); write {{{{ for a literal brace.") from None
    unknown = sorted(names - set(PLACEHOLDERS))
    if unknown:
        named = ", ".join("{" + n + "}" for n in unknown)
        raise ValidationError(f"Unknown placeholder {named}; use {', '.join('{' + p + '}' for p in PLACEHOLDERS)}.")


def macro_render(*, macro: Macro, ticket: Ticket, agent: Any = None) -> str:
    """The macro's text for this ticket: placeholders filled with the customer, the ticket and the agent."""
    user, label = actor_of(agent)
    values = _Blank(
        customer_name=ticket.requester.name or ticket.requester.email.split("@")[0],
        customer_email=ticket.requester.email,
        ticket_number=ticket.reference,
        ticket_subject=ticket.subject,
        agent_name=(user.get_full_name() if user else label) or "",
    )
    try:
        return string.Formatter().vformat(macro.body, (), values)
    except (ValueError, IndexError):
        return macro.body


def macro_actions_apply(*, macro: Macro, ticket: Ticket, by: object) -> None:
    """Set the macro's status and add its tags (through the ticket rules and the audit trail)."""
    changes: dict[str, Any] = {}
    if macro.set_status and macro.set_status != ticket.status:
        changes["status"] = macro.set_status
    tags = parse_tags(macro.add_tags)
    if tags:
        current = list(ticket.tags.values_list("name", flat=True))
        if set(tags) - set(current):
            changes["tags"] = [*current, *tags]
    if changes:
        ticket_update(ticket=ticket, by=by, **changes)
