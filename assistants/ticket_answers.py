"""AI drafts for tickets: answer, store as an ``ai_draft`` reply, take feedback, apply suggestions.

The reply an agent sends after a draft is not copied anywhere: ``draft_final_pairs``
pairs each draft with the first public agent reply that followed it, which is the
training data the LoRA issue will read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from assistants import replies
from assistants.engine import Answer, Turn, answer, answer_stream
from assistants.engine.registry import question_enrichments
from assistants.models import Assistant, TicketAnswer
from assistants.selectors import assistant_default
from helpdesk.accounts.models import User
from tickets.models import Reply, ReplyKind, Ticket
from tickets.services import reply_add, ticket_update

HISTORY_REPLIES = 6


@dataclass(frozen=True)
class TicketQuestion:
    question: str
    history: list[Turn]


def ticket_question(ticket: Ticket) -> TicketQuestion:
    """Subject + the customer's last message; the public messages before it as a compact history."""
    public = list(ticket.replies.filter(kind=ReplyKind.PUBLIC).order_by("created_at", "pk"))
    customer_positions = [i for i, reply in enumerate(public) if reply.author_contact_id is not None]
    if customer_positions:
        last = customer_positions[-1]
        message, earlier = public[last].body, public[:last]
    else:
        message, earlier = ticket.description, public
    history = [Turn("customer" if r.author_contact_id else "agent", r.body[:600]) for r in earlier[-HISTORY_REPLIES:]]
    question = f"{ticket.subject}\n\n{message}".strip()
    for extra in question_enrichments(ticket):  # e.g. what the customer's screenshots say (vision)
        question += f"\n\n{extra}"
    return TicketQuestion(question=question, history=history)


def _assistant(assistant: Assistant | None) -> Assistant:
    chosen = assistant or assistant_default()
    if chosen is None:
        raise ValidationError("No assistant is set up yet: a manager can create one under Assistants.")
    return chosen


def draft_text(*, ticket: Ticket, assistant: Assistant, result: Answer) -> str:
    """The reply an agent can send as it is: greeting, the verified sentences, a closing line (plain text)."""
    if result.declined:
        sentences = [replies.ReplySentence(result.text, None)]
    else:
        sentences = [replies.ReplySentence(s.text, s.ref) for s in result.verified]
    return replies.draft(
        sentences=sentences,
        sources=[(c.ref, c.document) for c in result.citations],
        language=assistant.language,
        tone=assistant.tone,
        customer_name=ticket.requester.name,
        style=assistant.citation_style,
        declined=result.declined,
    )


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


@transaction.atomic
def _store(*, ticket: Ticket, assistant: Assistant, result: Answer) -> TicketAnswer:
    """Keep the draft as an ``ai_draft`` reply. The request type is only suggested: a click applies it."""
    # "Suggest again" replaces the draft nobody sent instead of stacking drafts in the thread.
    unsent_drafts(ticket).delete()
    text = draft_text(ticket=ticket, assistant=assistant, result=result)
    draft = reply_add(ticket=ticket, body=text, by=assistant, kind=ReplyKind.AI_DRAFT)
    stored = result.as_dict() | {"reply": text, "citation_style": assistant.citation_style}
    return TicketAnswer.objects.create(ticket=ticket, assistant=assistant, draft=draft, result=stored)


def answer_for_ticket(*, ticket: Ticket, assistant: Assistant | None = None) -> TicketAnswer:
    """Draft a cited reply for ``ticket`` with ``assistant`` (default: the tenant's) and store it."""
    chosen = _assistant(assistant)
    asked = ticket_question(ticket)
    result = answer(assistant=chosen, question=asked.question, history=asked.history)
    return _store(ticket=ticket, assistant=chosen, result=result)


def answer_for_ticket_stream(*, ticket: Ticket, assistant: Assistant | None = None) -> Iterator[str | TicketAnswer]:
    """Like ``answer_for_ticket``, yielding text pieces first, then the stored ``TicketAnswer``."""
    chosen = _assistant(assistant)
    asked = ticket_question(ticket)
    for event in answer_stream(assistant=chosen, question=asked.question, history=asked.history):
        yield _store(ticket=ticket, assistant=chosen, result=event) if isinstance(event, Answer) else event


def answer_feedback(*, ticket_answer: TicketAnswer, helpful: bool, by: User) -> None:
    ticket_answer.feedback = 1 if helpful else -1
    ticket_answer.feedback_by = by
    ticket_answer.save(update_fields=["feedback", "feedback_by"])


SUGGESTIONS = ("category", "priority", "tags")


def answer_apply(*, ticket_answer: TicketAnswer, field: str, by: User) -> None:
    """Apply one suggestion of the draft (category, priority or tags) to its ticket."""
    if field not in SUGGESTIONS:
        raise ValidationError(f"Unknown suggestion {field!r}.")
    result = ticket_answer.result
    ticket = ticket_answer.ticket
    if field == "category":
        ticket_update(ticket=ticket, by=by, category=result["request_type"])
    elif field == "priority":
        ticket_update(ticket=ticket, by=by, priority=result["priority"])
    else:
        current = list(ticket.tags.values_list("name", flat=True))
        ticket_update(ticket=ticket, by=by, tags=current + [t for t in result["tags"] if t not in current])


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
