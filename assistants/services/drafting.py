"""AI drafts for tickets: answer, store as an ``ai_draft`` reply, take feedback, apply suggestions.

The reply an agent sends after a draft is not copied anywhere: ``assistants.selectors.draft_final_pairs``
pairs each draft with the first public agent reply that followed it (training data for the adapters).
"""

from __future__ import annotations

from collections.abc import Iterator

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from assistants import replies
from assistants.engine import Answer, answer, answer_stream
from assistants.models import Assistant, TicketAnswer
from assistants.selectors import assistant_default, ticket_question, unsent_drafts
from helpdesk.accounts.models import User
from tickets.models import ReplyKind, Ticket
from tickets.services import reply_add, ticket_update


def _assistant(assistant: Assistant | None) -> Assistant:
    chosen = assistant or assistant_default()
    if chosen is None:
        raise ValidationError(_("No assistant is set up yet: a manager can create one under Assistants."))
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
        raise ValidationError(_("Unknown suggestion %(field)r.") % {"field": field})
    result = ticket_answer.result
    ticket = ticket_answer.ticket
    if field == "category":
        ticket_update(ticket=ticket, by=by, category=result["request_type"])
    elif field == "priority":
        ticket_update(ticket=ticket, by=by, priority=result["priority"])
    else:
        current = list(ticket.tags.values_list("name", flat=True))
        ticket_update(ticket=ticket, by=by, tags=current + [t for t in result["tags"] if t not in current])
