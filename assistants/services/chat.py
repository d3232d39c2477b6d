"""Chat sessions: a message in, a grounded reply out, both kept with a trimmed history."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from assistants.engine import Answer, Turn, answer, answer_stream
from assistants.models import Assistant, Channel, ChatMessage, Conversation

# Channels that answer the public: only public knowledge documents are read for them.
PUBLIC_CHANNELS = frozenset({Channel.WIDGET})

MAX_MESSAGE_CHARS = 4000


@dataclass(frozen=True)
class ChatReply:
    conversation: Conversation
    message: ChatMessage
    answer: Answer

    def as_dict(self, *, public: bool = False) -> dict[str, object]:
        """The API shape. ``reply`` holds only verified sentences; ``sentences`` marks each one verified or not
        (``public``, for the website widget: only the verified ones, without the verifier's notes)."""
        data = self.answer.as_dict(public=public)
        return {
            "session_id": str(self.conversation.session_id),
            "reply": data["text"],
            "sentences": data["sentences"],
            "citations": data["citations"],
            "request_type": data["request_type"],
            "request_type_certain": data["request_type_certain"],
            "escalate": data["escalate"],
            "reasons": data["reasons"],
            "declined": data["declined"],
            "provider": data["provider"],
            "strategy": data["strategy"],
            "fallback_from": data["fallback_from"],
            "latency_ms": data["latency_ms"],
            "adapter": data["adapter"] or None,
            "model": data["model"] or None,
        }


def _clean(message: str) -> str:
    message = message.strip()
    if not message:
        raise ValidationError({"message": _("The message is empty.")})
    if len(message) > MAX_MESSAGE_CHARS:
        raise ValidationError(
            {"message": _("The message is longer than %(count)s characters.") % {"count": MAX_MESSAGE_CHARS}}
        )
    return message


def conversation_for(*, assistant: Assistant, session_id: str | None, channel: str = Channel.API) -> Conversation:
    """The session of this assistant, or a new one; an unknown or foreign session id is an error."""
    if not session_id:
        return Conversation.objects.create(assistant=assistant, channel=channel)
    try:
        key = uuid.UUID(str(session_id))
    except ValueError:
        raise ValidationError({"session_id": _("Not a session id.")}) from None
    conversation = Conversation.objects.filter(assistant=assistant, session_id=key).first()
    if conversation is None:
        raise ValidationError({"session_id": _("No such session for this assistant.")})
    return conversation


def history_of(conversation: Conversation, turns: int) -> list[Turn]:
    if turns <= 0:
        return []
    recent = list(conversation.messages.order_by("-created_at", "-pk")[:turns])
    return [Turn("customer" if m.role == ChatMessage.Role.USER else "agent", m.content) for m in reversed(recent)]


@transaction.atomic
def _record(conversation: Conversation, question: str, result: Answer) -> ChatMessage:
    ChatMessage.objects.create(conversation=conversation, role=ChatMessage.Role.USER, content=question)
    reply = ChatMessage.objects.create(
        conversation=conversation,
        role=ChatMessage.Role.ASSISTANT,
        content=result.text,
        citations=result.as_dict()["citations"],
        request_type=result.request_type,
        escalate=result.escalate,
        reasons=result.reasons,
        provider=result.provider,
        latency_ms=result.latency_ms,
    )
    conversation.save(update_fields=["updated_at"])
    return reply


def chat(
    *,
    assistant: Assistant,
    message: str,
    session_id: str | None = None,
    channel: str = Channel.API,
    public_only: bool = False,
) -> ChatReply:
    """Answer ``message`` in the session ``session_id`` (a new session when None) and keep both turns.

    Answers read public knowledge only on public channels (the widget) or with ``public_only``.
    """
    question = _clean(message)
    conversation = conversation_for(assistant=assistant, session_id=session_id, channel=channel)
    history = history_of(conversation, assistant.history_turns)
    public_only = public_only or channel in PUBLIC_CHANNELS
    result = answer(assistant=assistant, question=question, history=history, public_only=public_only)
    return ChatReply(conversation, _record(conversation, question, result), result)


def chat_stream(
    *,
    assistant: Assistant,
    message: str,
    session_id: str | None = None,
    channel: str = Channel.API,
    public_only: bool = False,
) -> Iterator[str | ChatReply]:
    """Like ``chat``, yielding text pieces as they are generated, then the ``ChatReply``."""
    question = _clean(message)
    conversation = conversation_for(assistant=assistant, session_id=session_id, channel=channel)
    history = history_of(conversation, assistant.history_turns)
    public_only = public_only or channel in PUBLIC_CHANNELS
    for event in answer_stream(assistant=assistant, question=question, history=history, public_only=public_only):
        if isinstance(event, Answer):
            yield ChatReply(conversation, _record(conversation, question, event), event)
        else:
            yield event
