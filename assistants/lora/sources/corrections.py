"""The team's corrections: the ticket's question → the public reply an agent sent after an AI draft."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext_noop

from assistants.lora.sources.base import Pair
from assistants.models import Assistant
from assistants.selectors import draft_final_pairs, ticket_question


class Corrections:
    kind = "corrections"
    label = gettext_noop("Agents' corrections of AI drafts")
    help = "For each ticket with an AI draft: the customer's question and the reply the agent actually sent."

    def available(self, assistant: Assistant) -> int:
        return sum(1 for _ in draft_final_pairs())

    def pairs(self, assistant: Assistant, options: dict[str, Any]) -> Iterator[Pair]:
        for ticket_answer, final in draft_final_pairs():
            ticket = ticket_answer.ticket
            yield Pair(
                question=ticket_question(ticket).question,
                answer=final.body,
                source=self.kind,
                group=f"ticket:{ticket.pk}",
                ref=f"ticket #{ticket.number}",
                meta={"draft": ticket_answer.result.get("text", "")},
            )


SOURCE = Corrections()
