"""Extension points of the answer engine: plug-ins register here from their ``AppConfig.ready()``.

The engine never imports a plug-in. Two hooks:

- the **adapter resolver** says which fine-tuned adapter answers for an assistant (LoRA registers it);
  without one, every assistant answers with the base model;
- **question enrichers** add text to the question asked for a ticket (vision adds what the customer's
  screenshots say); each returns an ``Enrichment`` (or a bare paragraph), or "" when it has nothing to add.
  An enrichment's ``focus`` is the few lines that say what is wrong (a screenshot's error and status
  lines): when the customer's own words are few, ``assistants.selectors.ticket_question`` asks with the
  focus instead of the whole concatenation, so retrieval and the evidence are scored against it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistants.models import Assistant
    from tickets.models import Ticket

# assistant -> (absolute adapter folder, label such as "v3"), or ("", "") for the base model.
AdapterResolver = Callable[["Assistant"], tuple[str, str]]


@dataclass(frozen=True)
class Enrichment:
    """What a plug-in adds to a ticket's question."""

    text: str  # a paragraph appended to the question (what an agent reads with it)
    focus: str = ""  # the lines that say what is wrong: the question itself when the customer wrote little


# ticket -> an enrichment (or a bare paragraph) for the ticket's question, or "".
QuestionEnricher = Callable[["Ticket"], "Enrichment | str"]

_adapter_resolver: AdapterResolver | None = None
_question_enrichers: dict[str, QuestionEnricher] = {}


def register_adapter_resolver(resolver: AdapterResolver) -> None:
    """Make ``resolver`` choose the adapter of every answer (one resolver: a second registration replaces it)."""
    global _adapter_resolver
    _adapter_resolver = resolver


def adapter_for(assistant: Assistant) -> tuple[str, str]:
    """(path, label) of the adapter that answers for ``assistant``; ("", "") for the base model."""
    return _adapter_resolver(assistant) if _adapter_resolver is not None else ("", "")


def register_question_enricher(key: str, enricher: QuestionEnricher) -> None:
    """Add ``enricher`` under ``key`` (registering the same key again replaces it, so ``ready()`` may run twice)."""
    _question_enrichers[key] = enricher


def question_enrichments(ticket: Ticket) -> list[Enrichment]:
    """What the registered enrichers add to ``ticket``'s question, in registration order (empty ones left out)."""
    found = [enricher(ticket) for enricher in _question_enrichers.values()]
    enrichments = [item if isinstance(item, Enrichment) else Enrichment(text=item) for item in found if item]
    return [item for item in enrichments if item.text or item.focus]
