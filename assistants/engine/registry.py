"""Extension points of the answer engine: plug-ins register here from their ``AppConfig.ready()``.

The engine never imports a plug-in. Two hooks:

- the **adapter resolver** says which fine-tuned adapter answers for an assistant (LoRA registers it);
  without one, every assistant answers with the base model;
- **question enrichers** add text to the question asked for a ticket (vision adds what the customer's
  screenshots say); each returns a paragraph, or "" when it has nothing to add.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistants.models import Assistant
    from tickets.models import Ticket

# assistant -> (absolute adapter folder, label such as "v3"), or ("", "") for the base model.
AdapterResolver = Callable[["Assistant"], tuple[str, str]]
# ticket -> a paragraph to append to the ticket's question, or "".
QuestionEnricher = Callable[["Ticket"], str]

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


def question_enrichments(ticket: Ticket) -> list[str]:
    """The paragraphs the registered enrichers add to ``ticket``'s question, in registration order."""
    return [text for enricher in _question_enrichers.values() if (text := enricher(ticket))]
