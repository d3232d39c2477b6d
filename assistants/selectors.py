"""Reads on assistants: assistants and their widget keys, the question a ticket asks, its AI drafts, and
the macros that fit it.

Macros are ranked by cosine similarity of their name and text to the ticket's question, with the
knowledge base's embedding model; their vectors are cached per process by (id, last change).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404
from rapidfuzz import fuzz

from assistants.engine import Turn
from assistants.engine.registry import question_enrichments
from assistants.models import Assistant, TicketAnswer, WidgetKey
from helpdesk.ai import active_model_key, embedder
from helpdesk.tenants.db import connection
from tickets.models import Macro, Reply, ReplyKind, Ticket
from tickets.selectors import macro_list
from tickets.services import macro_render


def assistant_list() -> QuerySet[Assistant]:
    return Assistant.objects.annotate(request_type_count=Count("request_types"))


def assistant_get(pk: int) -> Assistant:
    """The assistant of the current tenant, or 404 (another tenant's id finds nothing in this schema)."""
    return get_object_or_404(Assistant.objects.prefetch_related("request_types"), pk=pk)


def assistant_default() -> Assistant | None:
    return Assistant.objects.filter(is_default=True).first() or Assistant.objects.order_by("pk").first()


def widget_key_get(*, assistant: Assistant, pk: int) -> WidgetKey:
    """A widget key of this assistant, or 404."""
    return get_object_or_404(WidgetKey, assistant=assistant, pk=pk)


# --- Tickets: the question a ticket asks, its AI drafts ---

HISTORY_REPLIES = 6
# Fewer of the customer's own informative words than this, and a screenshot's focus (its error and
# status lines) becomes the question: "Help — please see the attached screenshot" says nothing itself.
FEW_WORDS = 4
_WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)
# Words that carry no request of their own: greetings, "see the attached screenshot", "please help".
_BOILERPLATE = frozenset(
    """
    a an the this that these it is are be to of for in on at with and or my me i we you your our us here there
    below above attached attachment attachments attach screenshot screenshots screen shot image images picture
    photo file files see look please pls help hi hello hey dear thanks thank regards urgent asap issue problem
    what happening happened going wrong do does can could would get got have has had
    помогите помощь помочь пожалуйста см смотрите посмотрите вложение вложении вложения скриншот скриншоте скрин
    снимок снимке картинка картинке фото файл файле во на по для из от это этот эта вот тут здесь ниже выше
    здравствуйте привет добрый день вечер утро спасибо прилагаю прикладываю приложил приложила прикрепил
    прикрепила проблема что случилось происходит делать мне меня мой моя у и а но или не
    """.split()  # noqa: SIM905  (a word list reads better as text)
)


def informative_words(text: str) -> list[str]:
    """The words of ``text`` that say something of their own (no greetings, no "see the attached screenshot")."""
    return [word for word in _WORD.findall(text.lower()) if word not in _BOILERPLATE]


@dataclass(frozen=True)
class TicketQuestion:
    question: str  # what is asked: retrieval and evidence are scored against it
    history: list[Turn]
    # The whole question (subject, message, the enrichers' paragraphs) when ``question`` is only the focus of
    # a ticket whose customer wrote little; "" otherwise.
    full: str = ""

    @property
    def focused(self) -> bool:
        return bool(self.full)


def ticket_question(ticket: Ticket) -> TicketQuestion:
    """Subject + the customer's last message; the public messages before it as a compact history.

    The enrichers' paragraphs are appended (e.g. what the customer's screenshots say). When the
    customer's own informative words are fewer than ``FEW_WORDS`` ("Help — please see the attached
    screenshot") and an enricher has a focus (the screenshot's error and status lines), the question is
    that focus, after the customer's few words if any: the UI labels and boilerplate are left out.
    """
    public = list(ticket.replies.filter(kind=ReplyKind.PUBLIC).order_by("created_at", "pk"))
    customer_positions = [i for i, reply in enumerate(public) if reply.author_contact_id is not None]
    if customer_positions:
        last = customer_positions[-1]
        message, earlier = public[last].body, public[:last]
    else:
        message, earlier = ticket.description, public
    history = [Turn("customer" if r.author_contact_id else "agent", r.body[:600]) for r in earlier[-HISTORY_REPLIES:]]
    own = f"{ticket.subject}\n\n{message}".strip()
    question = own
    enrichments = question_enrichments(ticket)
    for extra in enrichments:  # e.g. what the customer's screenshots say (vision)
        if extra.text:
            question += f"\n\n{extra.text}"
    focus = "\n".join(extra.focus for extra in enrichments if extra.focus).strip()
    words = len(informative_words(own))
    if focus and words < FEW_WORDS:
        focused = f"{own}\n\n{focus}" if words else focus
        return TicketQuestion(question=focused, history=history, full=question)
    return TicketQuestion(question=question, history=history)


def unsent_drafts(ticket: Ticket) -> QuerySet[Reply]:
    """AI drafts no agent has answered after: what a new suggestion replaces."""
    last_sent = (
        ticket.replies.filter(kind=ReplyKind.PUBLIC, author_user__isnull=False)
        .order_by("-created_at", "-pk")
        .values_list("created_at", flat=True)
        .first()
    )
    drafts = ticket.replies.filter(kind=ReplyKind.AI_DRAFT)
    return drafts.filter(created_at__gt=last_sent) if last_sent else drafts


def latest_answer(ticket: Ticket) -> TicketAnswer | None:
    return TicketAnswer.objects.filter(ticket=ticket).select_related("assistant").first()


def draft_final_pairs() -> Iterator[tuple[TicketAnswer, Reply]]:
    """(draft, the first public agent reply after it) for every ticket where an agent answered."""
    answers: QuerySet[TicketAnswer] = TicketAnswer.objects.select_related("draft", "ticket").exclude(draft=None)
    for ticket_answer in answers:
        final = (
            Reply.objects.filter(
                ticket=ticket_answer.ticket_id,
                kind=ReplyKind.PUBLIC,
                author_user__isnull=False,
                created_at__gte=ticket_answer.created_at,
            )
            .order_by("created_at", "pk")
            .first()
        )
        if final is not None:
            yield ticket_answer, final


# --- Macros that fit a ticket's question ---

MIN_SIMILARITY = 0.35
_cache: dict[tuple[str, str, int, float], np.ndarray] = {}
_cache_lock = threading.Lock()


@dataclass(frozen=True)
class MacroSuggestion:
    macro: Macro
    text: str
    similarity: float


def _vectors(macros: list[Macro]) -> np.ndarray:
    model = active_model_key()
    keys = [(str(connection.schema_name), model, m.pk, m.updated_at.timestamp()) for m in macros]
    with _cache_lock:
        missing = [(key, m) for key, m in zip(keys, macros, strict=True) if key not in _cache]
    if missing:
        # Macros are what a question searches for: the passage role (helpdesk.ai.embed).
        fresh = embedder(model).embed_passages([f"{m.name}\n{m.body}" for _, m in missing])
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
    vectors = _vectors(macros)
    query = embedder().embed_query(question)
    similarities = vectors @ query
    ranked = sorted(zip(macros, similarities, strict=True), key=lambda pair: -float(pair[1]))
    return [
        MacroSuggestion(macro=m, text=macro_render(macro=m, ticket=ticket, agent=agent), similarity=float(s))
        for m, s in ranked[:limit]
        if float(s) >= MIN_SIMILARITY
    ]


def draft_pair_records() -> list[dict[str, Any]]:
    """One row per AI draft an agent answered after: question → final reply, with the draft and its similarity."""
    records = []
    for answer, final in draft_final_pairs():
        ticket = answer.ticket
        draft = answer.draft.body if answer.draft is not None else ""
        records.append({
            "id": f"{ticket.number}-{answer.pk}",
            "question": ticket_question(ticket).question,
            "final_reply": final.body,
            "request_type": answer.result.get("request_type", "") or ticket.category,
            "channel": ticket.channel,
            "draft": draft,
            "draft_similarity": round(fuzz.ratio(draft, final.body)),
            "ticket": ticket.number,
        })  # fmt: skip
    return records
