"""Writes on assistants. Keyword-only arguments, one transaction each.

Chat sessions are in ``assistants.services.chat``, AI drafts for tickets in ``assistants.services.drafting``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from assistants.defaults import DEFAULT_ALWAYS_ESCALATE, DEFAULT_POLICY, DEFAULT_REQUEST_TYPES
from assistants.engine import URGENT
from assistants.models import (
    DEFAULT_ESCALATION_KEYWORDS,
    Assistant,
    Channel,
    ChatMessage,
    Conversation,
    RequestType,
    WidgetKey,
)
from tickets.links import portal_path
from tickets.models import Channel as TicketChannel
from tickets.models import Priority
from tickets.selectors import ticket_get
from tickets.services import attachment_validate, portal_request_submit, reply_add


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
        raise ValidationError(_("%(origin)r is not an origin like https://www.example.com") % {"origin": origin})
    return f"{parts.scheme}://{parts.netloc.lower()}"


def widget_key_create(*, assistant: Assistant, allowed_origins: list[str]) -> WidgetKey:
    origins = sorted({normalise_origin(o) for o in allowed_origins if o.strip()})
    if not origins:
        raise ValidationError(_("Give at least one site (origin) that may use the widget."))
    return WidgetKey.objects.create(assistant=assistant, allowed_origins=origins)


def _escalation_weight(message: ChatMessage) -> int:
    # A rule (keyword, request type) is a stronger reason for a person than a weak knowledge match.
    strong = [r for r in message.reasons if r.startswith("mentions ") or r.endswith("always go to a person")]
    return 2 * len(strong) + len(message.reasons) - len(strong)


def escalated_question(messages: list[ChatMessage]) -> str:
    """The visitor's message whose answer asked for a person most clearly, else their last message.

    Short replies ("thanks", "ok") make poor subjects and lose to a real question; ties go to the latest.
    """
    candidates: list[tuple[bool, int, int, str]] = []
    question = ""
    for index, message in enumerate(messages):
        if message.role == ChatMessage.Role.USER:
            question = message.content
        elif message.escalate and question:
            candidates.append((len(question.split()) >= 3, _escalation_weight(message), index, question))
    if candidates:
        return max(candidates)[3]
    return next((m.content for m in reversed(messages) if m.role == ChatMessage.Role.USER), "Chat")


def _subject(question: str, limit: int = 120) -> str:
    text = " ".join(question.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return f"{cut}…"


def conversation_priority(messages: list[ChatMessage]) -> str:
    """Urgent words from the visitor make it urgent; a complaint or an escalated answer, high; else normal."""
    if any(m.role == ChatMessage.Role.USER and URGENT.search(m.content) for m in messages):
        return Priority.URGENT
    if any(m.escalate or m.request_type == "complaint" for m in messages if m.role == ChatMessage.Role.ASSISTANT):
        return Priority.HIGH
    return Priority.NORMAL


def widget_key_revoke(*, widget_key: WidgetKey) -> WidgetKey:
    """Switch a widget key off for good: its script, chat and escalation answer 404 from now on."""
    if widget_key.is_active:
        widget_key.is_active = False
        widget_key.save(update_fields=["is_active"])
    return widget_key


@transaction.atomic
def chat_escalate_to_ticket(
    *,
    assistant: Assistant,
    session_id: str,
    email: str,
    name: str = "",
    site_url: str = "",
    files: Sequence[UploadedFile] = (),
) -> dict[str, object]:
    """Open a ticket (channel chat) with the transcript of the visitor's conversation, once.

    The address of an existing contact must be confirmed first (a link is e-mailed to it),
    as for the portal; ``unverified`` in the answer says so. ``files`` (screenshots from the
    widget) are added to the ticket as the visitor's reply, also when the ticket exists already;
    with files, a visitor may hand over before writing anything.
    """
    email = email.strip().lower()
    validate_email(email)
    _check_widget_images(files)
    try:
        conversation = (
            Conversation.objects.select_for_update().filter(assistant=assistant, session_id=session_id).first()
        )
    except ValidationError:  # not a UUID
        conversation = None
    if conversation is None and files:
        conversation = Conversation.objects.create(assistant=assistant, channel=Channel.WIDGET)
    if conversation is None:
        raise ValidationError(_("No conversation to hand over; send a message first."))
    if conversation.ticket_number is None:
        messages = list(conversation.messages.all())
        asked = any(m.role == ChatMessage.Role.USER for m in messages)
        if not asked and not files:
            raise ValidationError(_("No conversation to hand over; send a message first."))
        transcript = "\n\n".join(
            f"{'Visitor' if m.role == ChatMessage.Role.USER else assistant.name}: {m.content}" for m in messages
        )
        ticket = portal_request_submit(
            email=email,
            name=name.strip(),
            subject=_subject(escalated_question(messages)) if asked else "Screenshot from the website chat",
            description=f"Chat handed over from the website widget.\n\n{transcript}",
            channel=TicketChannel.CHAT,
            site_url=site_url,
            priority=conversation_priority(messages),
            category=next((m.request_type for m in reversed(messages) if m.request_type), ""),
        )
        conversation.ticket_number = ticket.number
        conversation.save(update_fields=["ticket_number"])
    else:
        ticket = ticket_get(number=conversation.ticket_number)
    if files:
        reply_add(ticket=ticket, body=WIDGET_IMAGES_BODY, by=ticket.requester, files=files)
    return {
        "ticket": ticket.reference,
        "status_path": portal_path(ticket),
        "unverified": ticket.requester.is_unverified_claim,
        "attached": len(files),
    }


# --- Screenshots from the widget ---

WIDGET_IMAGES_BODY = "Screenshot sent from the website chat."
WIDGET_MAX_IMAGES = 5


def _check_widget_images(files: Sequence[UploadedFile]) -> None:
    if len(files) > WIDGET_MAX_IMAGES:
        raise ValidationError(
            ngettext(
                "Send up to %(count)d screenshot at a time.",
                "Send up to %(count)d screenshots at a time.",
                WIDGET_MAX_IMAGES,
            )
            % {"count": WIDGET_MAX_IMAGES}
        )
    for upload in files:
        if not attachment_validate(upload).startswith("image/"):
            raise ValidationError(
                _("%(name)s: only images (screenshots) can be sent from the chat.") % {"name": upload.name}
            )
