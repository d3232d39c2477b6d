"""Reads of the mail app, always within the current tenant's schema."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from mail.models import BouncedAddress, Direction, Mailbox, MailMessage, MailStatus
from tickets.models import Ticket


@dataclass(frozen=True)
class MailboxRow:
    mailbox: Mailbox
    tickets: int
    replies: int
    ignored: int
    failed: int


def mailbox_rows() -> list[MailboxRow]:
    """Each mailbox with what its mail became: tickets, replies, stored-only (auto-replies, bounces, spam…), failed."""
    inbound = Q(messages__direction=Direction.IN)
    boxes = Mailbox.objects.annotate(
        n_tickets=Count("messages", filter=inbound & Q(messages__status=MailStatus.NEW_TICKET)),
        n_replies=Count("messages", filter=inbound & Q(messages__status=MailStatus.REPLY)),
        n_failed=Count("messages", filter=inbound & Q(messages__status=MailStatus.FAILED)),
        n_in=Count("messages", filter=inbound),
    )
    return [
        MailboxRow(
            mailbox=box,
            tickets=box.n_tickets,
            replies=box.n_replies,
            failed=box.n_failed,
            ignored=box.n_in - box.n_tickets - box.n_replies - box.n_failed,
        )
        for box in boxes
    ]


def mailbox_get(pk: int) -> Mailbox:
    return get_object_or_404(Mailbox, pk=pk)


def failed_list() -> QuerySet[MailMessage]:
    return MailMessage.objects.filter(direction=Direction.IN, status=MailStatus.FAILED).select_related("mailbox")


def message_get(pk: int) -> MailMessage:
    return get_object_or_404(MailMessage.objects.filter(direction=Direction.IN), pk=pk)


def recent_list(limit: int = 30) -> list[MailMessage]:
    return list(
        MailMessage.objects.filter(direction=Direction.IN)
        .exclude(status=MailStatus.FAILED)
        .select_related("ticket")[:limit]
    )


def bounced_list() -> QuerySet[BouncedAddress]:
    return BouncedAddress.objects.all()


def ticket_messages(ticket: Ticket) -> list[MailMessage]:
    """The mail of a ticket's conversation, in and out, oldest first."""
    return list(MailMessage.objects.filter(ticket=ticket).order_by("created_at", "pk"))
