"""Canned replies the AI panel suggests for a ticket: the tenant's macros nearest to the question.

Macros are ranked by cosine similarity of their name and text to the ticket's question, with the
knowledge base's embedding model; their vectors are cached per process by (id, last change).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from helpdesk.ai import embed, embed_query
from helpdesk.tenants.db import connection
from tickets.models import Macro, Ticket
from tickets.selectors import macro_list
from tickets.services import macro_render

MIN_SIMILARITY = 0.35
_cache: dict[tuple[str, int, float], np.ndarray] = {}
_cache_lock = threading.Lock()


@dataclass(frozen=True)
class MacroSuggestion:
    macro: Macro
    text: str
    similarity: float


def _vectors(macros: list[Macro]) -> np.ndarray:
    keys = [(str(connection.schema_name), m.pk, m.updated_at.timestamp()) for m in macros]
    with _cache_lock:
        missing = [(key, m) for key, m in zip(keys, macros, strict=True) if key not in _cache]
    if missing:
        fresh = embed([f"{m.name}\n{m.body}" for _, m in missing])
        with _cache_lock:
            for (key, _), vector in zip(missing, fresh, strict=True):
                _cache[key] = vector
    with _cache_lock:
        return np.stack([_cache[key] for key in keys])


def macros_for_ticket(*, ticket: Ticket, question: str, agent: object = None, limit: int = 2) -> list[MacroSuggestion]:
    """Up to ``limit`` active macros that fit ``question`` (cosine >= MIN_SIMILARITY), best first, rendered."""
    macros = list(macro_list())
    if not macros or not question.strip():
        return []
    query = embed_query(question)
    similarities = _vectors(macros) @ query
    ranked = sorted(zip(macros, similarities, strict=True), key=lambda pair: -float(pair[1]))
    return [
        MacroSuggestion(macro=m, text=macro_render(macro=m, ticket=ticket, agent=agent), similarity=float(s))
        for m, s in ranked[:limit]
        if float(s) >= MIN_SIMILARITY
    ]
