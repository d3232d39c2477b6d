"""A raw message in, a ticket or a reply out, exactly once.

``mail_ingest`` writes the message's ledger row (``MailMessage``, unique by Message-ID or content hash)
in the same transaction as the ticket or reply it makes: a worker killed mid-message leaves nothing,
and the next attempt finds the row of a finished one and makes no second ticket. Callers (the IMAP
poller, webhooks, the SMTP listener) mark a message done at their end only after this returns.

Never loop: auto-replies are stored but make no ticket and no reply (so nobody is notified); delivery
reports mark the failed address as bouncing (``BouncedAddress``; no mail goes to it again); our own
addresses, spam and a sender over the rate limit are stored and go no further.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from helpdesk.accounts.models import User
from helpdesk.tenants.selectors import current_tenant_language
from mail.conversation import base_address, subject_number, token_number
from mail.models import BouncedAddress, Direction, Mailbox, MailMessage, MailStatus
from mail.parsing import MailUnreadable, ParsedMail, clean_subject, parse
from mail.services.outgoing import answering
from tickets import services as tickets
from tickets.models import Channel, Contact, Reply, Status, Ticket

logger = logging.getLogger(__name__)
UNVERIFIED_TAG = "unverified-sender"


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int


def sender_rate() -> Rate:
    count, _, window = str(settings.MAIL_SENDER_RATE).partition("/")
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    number = window[:-1] or "1"
    return Rate(int(count), int(number) * units[window[-1]])


def own_addresses() -> set[str]:
    """Addresses we send from: every mailbox, the deployment's sender and ``MAIL_OWN_ADDRESSES``."""
    found = {base_address(a) for a in Mailbox.objects.values_list("address", flat=True)}
    found |= {base_address(a) for a in settings.MAIL_OWN_ADDRESSES}
    default = settings.DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1].strip(" >").lower()
    return found | {default}


def _store_raw(raw: bytes) -> str:
    """The raw ``.eml`` in the tenant's storage, named by its hash (storing it again is a no-op)."""
    digest = hashlib.sha256(raw).hexdigest()
    name = f"mail/raw/{digest[:2]}/{digest}.eml"
    if not default_storage.exists(name):
        name = default_storage.save(name, ContentFile(raw))
    return name


def mailbox_for(parsed: ParsedMail) -> Mailbox | None:
    """The mailbox the message was sent to: Delivered-To first, then To and Cc (a ``+tag`` is ignored)."""
    boxes = {base_address(box.address): box for box in Mailbox.objects.filter(enabled=True)}
    for address in parsed.recipients:
        if base_address(address) in boxes:
            return boxes[base_address(address)]
    return None


def _failed(*, raw: bytes, raw_name: str, mailbox: Mailbox | None, reason: str, key: str = "") -> MailMessage:
    key = key or f"sha256:{hashlib.sha256(raw).hexdigest()}"
    row, created = MailMessage.objects.get_or_create(
        dedup_key=key,
        defaults={"mailbox": mailbox, "status": MailStatus.FAILED, "reason": reason, "raw": raw_name},
    )
    if created:
        logger.warning("mail failed", extra={"reason": reason[:200]})
    return row


def mail_ingest(*, raw: bytes, mailbox: Mailbox | None = None) -> MailMessage:
    """Turn one raw message into a ticket, a reply or a stored-only row; returns its ledger row.

    The same message again (same Message-ID, or the same bytes without one) returns the first row and
    changes nothing. A message that cannot be read or placed becomes a failed row with the reason.
    What it writes (notes, reasons) is in the tenant's language.
    """
    language = current_tenant_language()
    if language:
        with translation.override(language):
            return _ingest(raw=raw, mailbox=mailbox)
    return _ingest(raw=raw, mailbox=mailbox)


def _ingest(*, raw: bytes, mailbox: Mailbox | None) -> MailMessage:
    raw_name = _store_raw(raw)
    try:
        parsed = parse(raw)
    except MailUnreadable as exc:
        return _failed(raw=raw, raw_name=raw_name, mailbox=mailbox, reason=str(exc))
    existing = MailMessage.objects.filter(dedup_key=parsed.dedup_key).first()
    if existing is not None:
        return existing
    box = mailbox_for(parsed) or mailbox
    if box is None:
        reason = _("The message is not addressed to a mailbox of this helpdesk.")
        return _failed(raw=raw, raw_name=raw_name, mailbox=None, reason=reason, key=parsed.dedup_key)
    try:
        with transaction.atomic():
            row = MailMessage.objects.create(
                mailbox=box,
                direction=Direction.IN,
                dedup_key=parsed.dedup_key,
                message_id=parsed.message_id,
                status=MailStatus.FAILED,
                sender=parsed.sender,
                recipients=", ".join(parsed.recipients)[:2000],
                subject=parsed.subject[:300],
                raw=raw_name,
                text=parsed.text,
                html=parsed.html,
                received_at=parsed.date,
            )
            with answering(mailbox=box, message_id=parsed.message_id):
                _place(row, parsed, box)
            row.save()
            return row
    except IntegrityError:
        # Another worker took the same message first and has committed it: that row is the answer.
        found = MailMessage.objects.filter(dedup_key=parsed.dedup_key).first()
        if found is None:
            raise
        return found
    except ValidationError as exc:
        reason = " ".join(exc.messages)
        return _failed(raw=raw, raw_name=raw_name, mailbox=box, reason=reason, key=parsed.dedup_key)


def _place(row: MailMessage, parsed: ParsedMail, box: Mailbox) -> None:
    """Decide what the message is and make its ticket or reply (inside ``mail_ingest``'s transaction)."""
    ours = own_addresses()
    if base_address(parsed.sender) in ours:
        row.status = MailStatus.OWN
        return
    if parsed.spam:
        row.status = MailStatus.SPAM
        return
    if parsed.is_bounce:
        row.status = MailStatus.BOUNCE
        for address in parsed.bounce_recipients:
            BouncedAddress.objects.update_or_create(email=address, defaults={"reason": parsed.subject[:500]})
        row.ticket = _referenced_ticket(parsed)
        return
    rate = sender_rate()
    since = timezone.now() - timedelta(seconds=rate.seconds)
    recent = MailMessage.objects.filter(
        direction=Direction.IN,
        sender=parsed.sender,
        created_at__gte=since,
        status__in=[MailStatus.NEW_TICKET, MailStatus.REPLY, MailStatus.AUTO_REPLY],
    ).count()
    if recent >= rate.count:
        row.status = MailStatus.RATE_LIMITED
        return
    ticket = _referenced_ticket(parsed)
    if parsed.auto_reply:
        row.status, row.ticket = MailStatus.AUTO_REPLY, ticket
        return
    flagged_number = None
    if ticket is None:
        number = subject_number(parsed.subject)
        candidate = Ticket.objects.filter(number=number).first() if number else None
        if candidate is not None and _is_on_ticket(parsed.sender, candidate):
            ticket = candidate
        elif candidate is not None:
            flagged_number = candidate.number
    if ticket is not None and ticket.merged_into_id is not None:
        ticket = Ticket.objects.get(pk=ticket.merged_into_id)
    if ticket is not None and ticket.status != Status.CLOSED:
        _reply(row, parsed, box, ticket)
    else:
        _new_ticket(row, parsed, box, flagged_number=flagged_number)


def _referenced_ticket(parsed: ParsedMail) -> Ticket | None:
    """The ticket of the conversation: a Message-ID we sent or received, else the signed reply address."""
    ids = [*parsed.in_reply_to, *reversed(parsed.references)]
    if ids:
        known = (
            MailMessage.objects.filter(message_id__in=ids, ticket__isnull=False)
            .exclude(status__in=[MailStatus.FAILED, MailStatus.SPAM])
            .select_related("ticket")
            .order_by("-created_at")
            .first()
        )
        if known is not None:
            return known.ticket
    number = token_number(parsed.recipients)
    return Ticket.objects.filter(number=number).first() if number else None


def _is_on_ticket(address: str, ticket: Ticket) -> bool:
    requester = ticket.requester
    if address in (requester.email, getattr(requester.claim_of, "email", None)):
        return True
    if ticket.cc.filter(email=address).exists():
        return True
    people = list(ticket.followers.values_list("email", flat=True))
    if ticket.assignee is not None:
        people.append(ticket.assignee.email)
    return address in {p.lower() for p in people}


def _uploads(row: MailMessage, parsed: ParsedMail, ticket: Ticket | None) -> list[SimpleUploadedFile]:
    """The message's files and inline images that pass the upload checks; the refused ones are noted on ``row``."""
    kept, refused = [], []
    for part in parsed.files:
        upload = SimpleUploadedFile(part.filename, part.data, content_type=part.content_type)
        try:
            tickets.attachment_validate(upload)
        except ValidationError as exc:
            refused += exc.messages
            continue
        kept.append(upload)
    most = settings.TICKETS_MAX_FILES_PER_MESSAGE
    if len(kept) > most:
        refused.append(
            ngettext(
                "%(count)d file more than the %(most)d one message may hold.",
                "%(count)d files more than the %(most)d one message may hold.",
                len(kept) - most,
            )
            % {"count": len(kept) - most, "most": most}
        )
        kept = kept[:most]
    try:
        tickets.attachments_budget_check(files=kept, ticket=ticket)
    except ValidationError as exc:
        refused += exc.messages
        kept = []
    if refused:
        row.reason = "\n".join([_("Files not taken:"), *refused])
    return kept


def _copied(parsed: ParsedMail, box: Mailbox) -> list[str]:
    ours = own_addresses() | {base_address(box.address)}
    others = [a for a in [*parsed.to, *parsed.cc] if base_address(a) not in ours and a != parsed.sender]
    return list(dict.fromkeys(others))


def _author(parsed: ParsedMail) -> Contact | User:
    agent = User.objects.filter(email__iexact=parsed.sender, is_active=True).first()
    if agent is not None and agent.has_perm("tickets.add_reply"):
        return agent
    return tickets.contact_ensure(email=parsed.sender, name=parsed.sender_name)


def _reply(row: MailMessage, parsed: ParsedMail, box: Mailbox, ticket: Ticket) -> None:
    author = _author(parsed)
    files = _uploads(row, parsed, ticket)
    body = parsed.newest or parsed.text or _("(The message has no text.)")
    reply: Reply = tickets.reply_add(ticket=ticket, body=body, by=author, files=files)
    copied = _copied(parsed, box)
    if copied:
        current = list(ticket.cc.values_list("email", flat=True))
        wanted = list(dict.fromkeys([*current, *copied]))
        if len(wanted) > len(current):
            tickets.ticket_cc_set(ticket=ticket, emails=wanted, by=author)
    row.status, row.ticket, row.reply = MailStatus.REPLY, ticket, reply


def _new_ticket(row: MailMessage, parsed: ParsedMail, box: Mailbox, *, flagged_number: int | None) -> None:
    if flagged_number is None:
        requester = tickets.contact_ensure(email=parsed.sender, name=parsed.sender_name)
    else:
        # Like a portal request naming someone else's address: a known address only gets a claim.
        requester = tickets.contact_for_public_request(email=parsed.sender, name=parsed.sender_name)
    files = _uploads(row, parsed, None)
    subject = clean_subject(parsed.subject) or _("(no subject)")
    description = parsed.newest or parsed.text or _("(The message has no text.)")
    ticket = tickets.ticket_create(
        subject=subject,
        description=description,
        requester=requester,
        channel=Channel.EMAIL,
        by=requester,
        files=files,
        tags=[UNVERIFIED_TAG] if flagged_number is not None else [],
    )
    if requester.is_unverified_claim:
        tickets.claim_request_confirmation(ticket=ticket)
    copied = _copied(parsed, box)
    if copied:
        tickets.ticket_cc_set(ticket=ticket, emails=copied, by=requester)
    if flagged_number is not None:
        row.flagged = True
        note = _(
            "This e-mail named ticket #%(number)d in its subject, but its sender %(sender)s is not on that "
            "ticket, so it was not added there."
        ) % {"number": flagged_number, "sender": parsed.sender}
        tickets.note_add(ticket=ticket, body=note, by=None)
    row.status, row.ticket = MailStatus.NEW_TICKET, ticket


def failed_retry(*, message: MailMessage) -> MailMessage:
    """Read a failed message's raw file again (after a fix, or once its mailbox exists)."""
    if message.status != MailStatus.FAILED:
        raise ValidationError(_("Only a failed message can be retried."))
    with message.raw.open("rb") as handle:
        raw = handle.read()
    mailbox = message.mailbox
    with transaction.atomic():  # the failed row goes only with its replacement
        message.delete()
        return mail_ingest(raw=raw, mailbox=mailbox)


@transaction.atomic
def failed_to_ticket(*, message: MailMessage, by: object, email: str = "") -> Ticket:
    """Open a ticket by hand from a failed message: its best-read sender (or ``email``), subject and text."""
    locked = MailMessage.objects.select_for_update().get(pk=message.pk)
    if locked.status != MailStatus.FAILED:
        raise ValidationError(_("Only a failed message can be turned into a ticket."))
    with locked.raw.open("rb") as handle:
        raw = handle.read()
    text = raw.decode("utf-8", errors="replace")
    sender = locked.sender
    try:
        parsed = parse(raw)
        sender, text = parsed.sender, parsed.text or text
        subject = clean_subject(parsed.subject)
    except MailUnreadable:
        subject = ""
    sender = email.strip().lower() or sender
    if not sender:
        raise ValidationError(_("The message has no sender address: add the customer's address to it first."))
    requester = tickets.contact_ensure(email=sender)
    ticket = tickets.ticket_create(
        subject=subject or _("(no subject)"),
        description=text[:100_000],
        requester=requester,
        channel=Channel.EMAIL,
        by=by,
    )
    locked.status, locked.ticket = MailStatus.NEW_TICKET, ticket
    locked.save(update_fields=["status", "ticket"])
    return ticket
