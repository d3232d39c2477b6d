"""Threading of the mail we send about a ticket, and who never gets mail (addresses that bounce).

Every notification and agent reply gets a Message-ID we record (so the customer's answer, in any
client, finds its ticket by In-Reply-To / References), those headers pointing at the conversation so
far, a Reply-To with the ticket's signed token, and the mailbox's address as its sender.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from email.utils import formataddr, make_msgid

from django.db.models import Q

from helpdesk.tenants.db import connection
from mail.conversation import reply_address
from mail.models import BouncedAddress, Direction, Mailbox, MailMessage, MailStatus
from tickets.extensions import MailThread
from tickets.models import Ticket

MAX_REFERENCES = 10


@dataclass(frozen=True)
class Incoming:
    mailbox: Mailbox
    message_id: str


# The message being ingested: mail its ticket sends before the message's own row is saved (the
# "we received your request" notice) still answers it and leaves from its mailbox.
_incoming: ContextVar[Incoming | None] = ContextVar("mail_incoming", default=None)


@contextmanager
def answering(*, mailbox: Mailbox, message_id: str) -> Iterator[None]:
    token = _incoming.set(Incoming(mailbox=mailbox, message_id=message_id))
    try:
        yield
    finally:
        _incoming.reset(token)


def ticket_mailbox(ticket: Ticket) -> Mailbox | None:
    """The mailbox a ticket's mail goes out from: the one it came in through, else the tenant's first."""
    first = (
        MailMessage.objects.filter(ticket=ticket, direction=Direction.IN, mailbox__enabled=True)
        .select_related("mailbox")
        .order_by("created_at")
        .first()
    )
    if first is not None and first.mailbox is not None:
        return first.mailbox
    return Mailbox.objects.filter(enabled=True).order_by("created_at", "pk").first()


def outgoing_thread(*, ticket: Ticket, subject: str, to: Sequence[str]) -> MailThread | None:
    """Headers, reply-to and sender of one e-mail about ``ticket``; its Message-ID is recorded. None
    without a mailbox (mail then leaves as before, from the deployment's sender)."""
    incoming = _incoming.get()
    box = incoming.mailbox if incoming is not None else ticket_mailbox(ticket)
    if box is None:
        return None
    domain = box.address.rsplit("@", 1)[-1]
    message_id = make_msgid(domain=domain)[1:-1]
    earlier = list(
        MailMessage.objects.filter(ticket=ticket)
        .exclude(message_id="")
        .exclude(status__in=[MailStatus.FAILED, MailStatus.SPAM])
        .order_by("created_at", "pk")
        .values_list("message_id", flat=True)
    )
    if incoming is not None and incoming.message_id and incoming.message_id not in earlier:
        earlier.append(incoming.message_id)
    headers = {"Message-ID": f"<{message_id}>"}
    if earlier:
        chain = list(dict.fromkeys([earlier[0], *earlier[-(MAX_REFERENCES - 1) :]]))
        headers["In-Reply-To"] = f"<{earlier[-1]}>"
        headers["References"] = " ".join(f"<{m}>" for m in chain)
    MailMessage.objects.create(
        mailbox=box,
        direction=Direction.OUT,
        dedup_key=f"out:{message_id}",
        message_id=message_id,
        status=MailStatus.SENT,
        ticket=ticket,
        recipients=", ".join(to)[:2000],
        subject=subject[:300],
    )
    name = box.from_name or str(getattr(connection.tenant, "name", "") or "")
    return MailThread(
        headers=headers,
        reply_to=[formataddr((name, reply_address(box.address, ticket.number)))],
        from_email=formataddr((name, box.address)),
    )


def recipients_not_bouncing(addresses: list[str]) -> list[str]:
    """``addresses`` without those that bounced for good in the current tenant."""
    if not addresses or connection.schema_name == "public":
        return addresses
    query = Q()
    for address in addresses:
        query |= Q(email__iexact=address.strip())
    bouncing = {e.lower() for e in BouncedAddress.objects.filter(query).values_list("email", flat=True)}
    return [a for a in addresses if a.strip().lower() not in bouncing]
