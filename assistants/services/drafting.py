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
from knowledge.models import Document
from tickets.models import ReplyKind, Ticket
from tickets.services import reply_add, ticket_update


def _assistant(assistant: Assistant | None) -> Assistant:
    chosen = assistant or assistant_default()
    if chosen is None:
        raise ValidationError(_("No assistant is set up yet: a manager can create one under Assistants."))
    return chosen


def internal_sources(result: Answer) -> dict[int, str]:
    """{ref: title} of the cited documents that are internal (staff-only): not for a public reply as they are."""
    ids = {c.document_id for c in result.citations}
    internal = set(
        Document.objects.filter(pk__in=ids, visibility=Document.Visibility.INTERNAL).values_list("pk", flat=True)
    )
    return {c.ref: c.document for c in result.citations if c.document_id in internal}


def draft_text(*, ticket: Ticket, assistant: Assistant, result: Answer) -> str:
    """The reply an agent can send: greeting, the verified sentences, a closing line (plain text).

    A draft is for a public reply: a sentence quoted from an internal (staff-only) article is marked for the
    agent, who decides whether the customer may read it, and removes the mark.
    """
    internal = internal_sources(result)
    if result.declined:
        # The ticket is in the team's queue: here a person really has the question.
        sentences = [
            replies.ReplySentence(result.text, None),
            replies.ReplySentence(replies.handed_over_text(assistant.language), None),
        ]
    else:
        sentences = [
            replies.ReplySentence(_marked(s.text, internal[s.ref]) if s.ref in internal else s.text, s.ref)
            for s in result.verified
        ]
    return replies.draft(
        sentences=sentences,
        sources=[(c.ref, c.document) for c in result.citations],
        language=assistant.language,
        tone=assistant.tone,
        customer_name=ticket.requester.name,
        style=assistant.citation_style,
        declined=result.declined,
    )


def _marked(text: str, title: str) -> str:
    return _("[INTERNAL, staff-only article “%(title)s”: check before sending]") % {"title": title} + " " + text


@transaction.atomic
def _store(*, ticket: Ticket, assistant: Assistant, result: Answer) -> TicketAnswer:
    """Keep the draft as an ``ai_draft`` reply. The request type is only suggested: a click applies it."""
    # "Suggest again" replaces the draft nobody sent instead of stacking drafts in the thread.
    unsent_drafts(ticket).delete()
    text = draft_text(ticket=ticket, assistant=assistant, result=result)
    draft = reply_add(ticket=ticket, body=text, by=assistant, kind=ReplyKind.AI_DRAFT)
    stored = result.as_dict() | {
        "reply": text,
        "citation_style": assistant.citation_style,
        "internal_sources": sorted(internal_sources(result).values()),
    }
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
