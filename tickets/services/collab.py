"""Working on a ticket together: followers, CC'd customers, merging duplicates, who changed what since."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from helpdesk.accounts.models import User
from tickets import notifications
from tickets.models import Attachment, Reply, ReplyKind, Status, Ticket, TicketEvent
from tickets.services.audit import audit_event
from tickets.services.contacts import contact_ensure
from tickets.services.portal import ticket_portal_links_revoke
from tickets.services.workflow import apply_status

# Audit fields that are no one's edit: a collision notice ignores them.
SYSTEM_FIELDS = ("sla_first_response", "sla_resolution", "ai_draft", "csat")


@transaction.atomic
def ticket_follow(*, ticket: Ticket, user: User, follow: bool = True) -> None:
    """Start or stop getting an e-mail for each change of ``ticket``."""
    if follow:
        ticket.followers.add(user)
    else:
        ticket.followers.remove(user)


def _emails(raw: Sequence[str] | str) -> list[str]:
    parts = raw.replace(";", ",").replace("\n", ",").split(",") if isinstance(raw, str) else list(raw)
    emails, bad = [], []
    for part in (p.strip().lower() for p in parts):
        if not part:
            continue
        try:
            validate_email(part)
        except ValidationError:
            bad.append(part)
        else:
            emails.append(part)
    if bad:
        raise ValidationError({"cc": _("Not an e-mail address: %(addresses)s.") % {"addresses": ", ".join(bad)}})
    return sorted(set(emails))


@transaction.atomic
def ticket_cc_set(*, ticket: Ticket, emails: Sequence[str] | str, by: object) -> list[str]:
    """Copy exactly these people on the ticket's public replies (the requester always gets them)."""
    wanted = [e for e in _emails(emails) if e != ticket.requester.email]
    before = sorted(ticket.cc.values_list("email", flat=True))
    if wanted == before:
        return before
    ticket.cc.set([contact_ensure(email=email) for email in wanted])
    audit_event(ticket, by, "cc", ", ".join(before), ", ".join(wanted)).save()
    return wanted


@transaction.atomic
def ticket_merge(*, source: Ticket, target: Ticket, by: object) -> Ticket:
    """Merge the duplicate ``source`` into ``target``: its request and thread move over, its requester
    is copied on ``target`` (unless it is an unverified claim), ``source`` is closed with a pointer and
    its status links are revoked; an audit row on both."""
    if source.pk == target.pk:
        raise ValidationError({"target": _("A ticket cannot be merged into itself.")})
    # Lock both rows in a fixed order, so two crossed merges cannot deadlock or loop.
    locked = {t.pk: t for t in Ticket.objects.select_for_update().filter(pk__in=[source.pk, target.pk]).order_by("pk")}
    source, target = locked[source.pk], locked[target.pk]
    if source.merged_into_id is not None:
        raise ValidationError({"target": f"{source.reference} was already merged into another ticket."})
    if target.merged_into_id is not None:
        raise ValidationError({"target": f"{target.reference} was itself merged; merge into the ticket it went to."})
    if target.status == Status.CLOSED:
        raise ValidationError({"target": f"{target.reference} is closed; merge into an open ticket."})
    request = Reply.objects.create(
        ticket=target,
        kind=ReplyKind.PUBLIC,
        author_contact=source.requester,
        body=f"(Merged from {source.reference} “{source.subject}”)\n\n{source.description or source.subject}",
    )
    Reply.objects.filter(pk=request.pk).update(created_at=source.created_at)  # keeps the thread in time order
    Attachment.objects.filter(ticket=source, reply__isnull=True).update(ticket=target, reply=request)
    Attachment.objects.filter(ticket=source).update(ticket=target)
    source.replies.update(ticket=target)
    # An unverified claim (a public request naming a known address) is nobody's key to ``target``: copied
    # on it, whoever typed the address would read and answer the real customer's ticket.
    if source.requester_id != target.requester_id and not source.requester.is_unverified_claim:
        target.cc.add(source.requester)
    target.cc.add(*source.cc.exclude(pk=target.requester_id).filter(claim_of__isnull=True))
    target.tags.add(*source.tags.all())
    target.followers.add(*source.followers.all())
    old_status = source.status
    if source.status != Status.CLOSED:
        apply_status(source, Status.CLOSED)
    source.merged_into = target
    source.save(update_fields=["status", "solved_at", "merged_into", "updated_at"])
    target.save(update_fields=["updated_at"])
    events = [
        audit_event(source, by, "merged_into", "", target.reference),
        audit_event(target, by, "merged", "", source.reference),
    ]
    if old_status != Status.CLOSED:
        events.append(audit_event(source, by, "status", old_status, Status.CLOSED))
    TicketEvent.objects.bulk_create(events)
    # The duplicate's status links die with it; its requester gets a link to ``target`` by e-mail.
    ticket_portal_links_revoke(ticket=source, by=by)
    notifications.merged(source=source, target=target, by=by)
    return target


def changes_since(*, ticket: Ticket, seen: int, viewer: User) -> QuerySet[TicketEvent]:
    """What other people did on ``ticket`` after the audit row ``seen`` (the page's last one)."""
    return (
        ticket.events.filter(pk__gt=seen)
        .exclude(actor=viewer)
        .exclude(field__in=SYSTEM_FIELDS)
        .select_related("actor")
        .order_by("pk")
    )
