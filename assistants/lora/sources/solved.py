"""Solved tickets: the customer's question → the last public reply of an agent before it was solved."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_noop

from assistants.lora.sources.base import Pair
from assistants.models import Assistant
from tickets.models import Reply, ReplyKind, Status, Ticket

MAX_TICKETS = 5000


def _solved() -> QuerySet[Ticket]:
    return Ticket.objects.filter(status__in=[Status.SOLVED, Status.CLOSED]).order_by("-solved_at", "-pk")


class SolvedTickets:
    kind = "solved"
    label = gettext_noop("Solved tickets")
    help = "Each solved or closed ticket: its subject and description, and the agent's last public reply."

    def available(self, assistant: Assistant) -> int:
        return _solved().filter(replies__kind=ReplyKind.PUBLIC, replies__author_user__isnull=False).distinct().count()

    def pairs(self, assistant: Assistant, options: dict[str, Any]) -> Iterator[Pair]:
        for ticket in _solved()[:MAX_TICKETS].iterator(chunk_size=200):
            answer = (
                Reply.objects.filter(ticket=ticket, kind=ReplyKind.PUBLIC, author_user__isnull=False)
                .order_by("-created_at", "-pk")
                .first()
            )
            if answer is None:
                continue
            yield Pair(
                question=f"{ticket.subject}\n\n{ticket.description}".strip(),
                answer=answer.body,
                source=self.kind,
                group=f"ticket:{ticket.pk}",
                ref=f"ticket #{ticket.number}",
            )


SOURCE = SolvedTickets()
