"""Writes on assistants. Keyword-only arguments, one transaction each."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from assistants.defaults import DEFAULT_ALWAYS_ESCALATE, DEFAULT_POLICY, DEFAULT_REQUEST_TYPES
from assistants.models import (
    DEFAULT_ESCALATION_KEYWORDS,
    Assistant,
    ChatMessage,
    Conversation,
    RequestType,
    WidgetKey,
)
from tickets.links import portal_path
from tickets.models import Channel as TicketChannel
from tickets.services import portal_request_submit


@transaction.atomic
def assistant_create(*, name: str, company: str = "", **fields: Any) -> Assistant:
    """An assistant with a safe default policy and the standard request types; the first one becomes default."""
    fields.setdefault("policy", DEFAULT_POLICY.format(company=company or "our company"))
    fields.setdefault("escalation_keywords", list(DEFAULT_ESCALATION_KEYWORDS))
    fields.setdefault("always_escalate_types", list(DEFAULT_ALWAYS_ESCALATE))
    assistant = Assistant.objects.create(
        name=name, is_default=not Assistant.objects.filter(is_default=True).exists(), **fields
    )
    RequestType.objects.bulk_create(
        RequestType(assistant=assistant, name=type_name, prompt=prompt, examples="\n".join(examples))
        for type_name, (prompt, examples) in DEFAULT_REQUEST_TYPES.items()
    )
    return assistant


@transaction.atomic
def assistant_set_default(*, assistant: Assistant) -> None:
    # Updates by query, not from the instance: it may be stale about which assistant is the default.
    Assistant.objects.filter(is_default=True).exclude(pk=assistant.pk).update(is_default=False)
    Assistant.objects.filter(pk=assistant.pk).update(is_default=True)
    assistant.is_default = True


def normalise_origin(origin: str) -> str:
    parts = urlsplit(origin.strip().rstrip("/"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError(f"{origin!r} is not an origin like https://www.example.com")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def widget_key_create(*, assistant: Assistant, allowed_origins: list[str]) -> WidgetKey:
    origins = sorted({normalise_origin(o) for o in allowed_origins if o.strip()})
    if not origins:
        raise ValidationError("Give at least one site (origin) that may use the widget.")
    return WidgetKey.objects.create(assistant=assistant, allowed_origins=origins)


@transaction.atomic
def chat_escalate_to_ticket(
    *, assistant: Assistant, session_id: str, email: str, name: str = "", site_url: str = ""
) -> dict[str, object]:
    """Open a ticket (channel chat) with the transcript of the visitor's conversation, once.

    The address of an existing contact must be confirmed first (a link is e-mailed to it),
    as for the portal; ``unverified`` in the answer says so.
    """
    email = email.strip().lower()
    validate_email(email)
    try:
        conversation = (
            Conversation.objects.select_for_update().filter(assistant=assistant, session_id=session_id).first()
        )
    except ValidationError:  # not a UUID
        conversation = None
    if conversation is None:
        raise ValidationError("No conversation to hand over; send a message first.")
    if conversation.ticket_number is None:
        messages = list(conversation.messages.all())
        first_question = next((m.content for m in messages if m.role == ChatMessage.Role.USER), "Chat")
        transcript = "\n\n".join(
            f"{'Visitor' if m.role == ChatMessage.Role.USER else assistant.name}: {m.content}" for m in messages
        )
        ticket = portal_request_submit(
            email=email,
            name=name.strip(),
            subject=first_question[:120],
            description=f"Chat handed over from the website widget.\n\n{transcript}",
            channel=TicketChannel.CHAT,
            site_url=site_url,
        )
        conversation.ticket_number = ticket.number
        conversation.save(update_fields=["ticket_number"])
    else:
        from tickets.selectors import ticket_get

        ticket = ticket_get(number=conversation.ticket_number)
    return {
        "ticket": ticket.reference,
        "status_path": portal_path(ticket),
        "unverified": ticket.requester.is_unverified_claim,
    }
