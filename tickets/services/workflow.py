"""Tickets: create, update (status, priority, assignee, tags), delete, bulk actions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.accounts.models import User
from tickets import extensions, notifications
from tickets.models import (
    NUMBER_SEQUENCE,
    UNRESOLVED,
    Attachment,
    Channel,
    Contact,
    Priority,
    Status,
    Ticket,
    TicketEvent,
)
from tickets.services.attachments import attachments_check, attachments_save
from tickets.services.audit import UNSET, audit_event
from tickets.services.contacts import tags_ensure
from tickets.services.sla import sla_due_times
from tickets.services.transitions import transition_check


def _next_number() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s)", [NUMBER_SEQUENCE])
        return int(cursor.fetchone()[0])


def subject_one_line(subject: str) -> str:
    """``subject`` on one line, as every channel saves it: runs of whitespace (line breaks, tabs) become one space.

    A subject goes into the header of every e-mail of its ticket, and a header with a line break
    is refused (``BadHeaderError``), so one typed or pasted newline would stop all its mail.
    """
    return " ".join(subject.split())[:200]


@transaction.atomic
def ticket_create(
    *,
    subject: str,
    requester: Contact,
    by: object,
    description: str = "",
    priority: str = Priority.NORMAL,
    channel: str = Channel.WEB,
    assignee: User | None = None,
    tags: Sequence[str] = (),
    category: str = "",
    files: Sequence[UploadedFile] = (),
) -> Ticket:
    """Open a ticket for ``requester`` with its SLA due times, tags, attachments and a `created` audit row.

    ``files`` are checked like a reply's (type, size, content); a bad one refuses the whole ticket,
    naming each bad file on ``attachments``.
    """
    subject = subject_one_line(subject)
    errors: dict[str, Any] = {}
    if not subject:
        errors["subject"] = "A subject is required."
    if priority not in Priority.values:
        errors["priority"] = f"Unknown priority {priority!r}."
    if channel not in Channel.values:
        errors["channel"] = f"Unknown channel {channel!r}."
    try:
        content_types = attachments_check(files)  # a new ticket: its files are all it holds
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    first_due, resolution_due = sla_due_times(priority=priority, start=now)
    ticket = Ticket.objects.create(
        number=_next_number(),
        subject=subject,
        description=description.strip(),
        priority=priority,
        channel=channel,
        requester=requester,
        assignee=assignee,
        category=category.strip(),
        first_response_due_at=first_due,
        resolution_due_at=resolution_due,
    )
    if tags:
        ticket.tags.set(tags_ensure(tags))
    attachments_save(ticket=ticket, reply=None, files=files, content_types=content_types)
    audit_event(ticket, by, "created", "", ticket.reference).save()
    if isinstance(by, Contact) and not requester.is_unverified_claim:  # a claim gets a confirmation link instead
        notifications.request_received(ticket=ticket)
    extensions.emit(extensions.TICKET_CREATED, ticket=ticket, by=by)
    return ticket


def apply_status(ticket: Ticket, status: str) -> None:
    transition_check(ticket.status, status)
    if status == Status.SOLVED or (status == Status.CLOSED and ticket.solved_at is None):
        ticket.solved_at = timezone.now()
    elif status in UNRESOLVED:
        ticket.solved_at = None
    ticket.status = status


@transaction.atomic
def ticket_category_suggest(*, ticket: Ticket, category: str, by: object) -> bool:
    """Set ``category`` only while the ticket has none, decided by the database at the moment of writing.

    For suggestions computed from an older read (the AI's request type, seconds after the
    ticket was loaded): a category an agent set meanwhile is never overwritten. Returns
    whether the category was set.
    """
    category = category.strip()[:100]
    if not category:
        return False
    if not Ticket.objects.filter(pk=ticket.pk, category="").update(category=category, updated_at=timezone.now()):
        ticket.refresh_from_db(fields=["category"])
        return False
    audit_event(ticket, by, "category", "", category).save()
    ticket.category = category
    return True


@transaction.atomic
def ticket_update(
    *,
    ticket: Ticket,
    by: object,
    status: str = UNSET,
    priority: str = UNSET,
    assignee: User | None = UNSET,
    tags: Sequence[str] = UNSET,
    subject: str = UNSET,
    category: str = UNSET,
) -> list[TicketEvent]:
    """Change the given fields only, enforcing the transition rules; one audit row per changed field.

    Raises ``ValidationError`` (nothing is saved) when a change is not allowed.
    """
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    events: list[TicketEvent] = []
    changed: list[str] = []

    def change(name: str, new: object, shown_old: object = None, shown_new: object = None) -> None:
        old = getattr(locked, name)
        if old == new:
            return
        events.append(audit_event(locked, by, name, shown_old if shown_old is not None else old, shown_new or new))
        setattr(locked, name, new)
        changed.append(name)

    if status is not UNSET and status != locked.status:
        old_status = locked.status
        apply_status(locked, status)
        events.append(audit_event(locked, by, "status", old_status, status))
        changed += ["status", "solved_at"]
    if priority is not UNSET and priority != locked.priority:
        if priority not in Priority.values:
            raise ValidationError({"priority": f"Unknown priority {priority!r}."})
        change("priority", priority)
        first_due, resolution_due = sla_due_times(priority=priority, start=locked.created_at)
        locked.first_response_due_at, locked.resolution_due_at = first_due, resolution_due
        changed += ["first_response_due_at", "resolution_due_at"]
    if assignee is not UNSET and assignee != locked.assignee:
        events.append(audit_event(locked, by, "assignee", locked.assignee or "", assignee or ""))
        locked.assignee = assignee
        changed.append("assignee")
    if subject is not UNSET:
        subject = subject_one_line(subject)
        if not subject:
            raise ValidationError({"subject": _("A subject is required.")})
        change("subject", subject)
    if category is not UNSET:
        change("category", category.strip())
    if tags is not UNSET:
        old_tags = sorted(t.name for t in locked.tags.all())
        new_tags = tags_ensure(tags)
        if [t.name for t in new_tags] != old_tags:
            locked.tags.set(new_tags)
            events.append(audit_event(locked, by, "tags", ", ".join(old_tags), ", ".join(t.name for t in new_tags)))
            changed.append("updated_at")
    if changed:
        locked.save(update_fields=sorted({*changed, "updated_at"}))
        TicketEvent.objects.bulk_create(events)
        _notify(locked, events, by)
        extensions.emit(extensions.TICKET_UPDATED, ticket=locked, by=by, changes=events)
    # The caller's instance reflects what was saved.
    for name in {*changed, "updated_at", "first_response_due_at", "resolution_due_at", "solved_at"}:
        setattr(ticket, name, getattr(locked, name))
    return events


def _notify(ticket: Ticket, events: Sequence[TicketEvent], by: object) -> None:
    for event in events:
        if event.field == "status":
            notifications.status_changed(ticket=ticket, old=event.old_value, new=event.new_value, by=by)
        elif event.field == "assignee":
            notifications.assigned(ticket=ticket, assignee=ticket.assignee, by=by)


def ticket_transition(*, ticket: Ticket, status: str, by: object) -> list[TicketEvent]:
    return ticket_update(ticket=ticket, status=status, by=by)


def ticket_assign(*, ticket: Ticket, agent: User | None, by: object) -> list[TicketEvent]:
    return ticket_update(ticket=ticket, assignee=agent, by=by)


@transaction.atomic
def ticket_delete(*, ticket: Ticket, by: object) -> None:
    """Delete a ticket with its thread and attachment files (after the commit); its audit trail stays."""
    files = list(Attachment.objects.filter(ticket=ticket))
    audit_event(ticket, by, "deleted", ticket.subject, "").save()
    ticket.delete()
    for attachment in files:
        transaction.on_commit(partial(attachment.file.delete, save=False))


@dataclass
class BulkResult:
    updated: list[int] = field(default_factory=list)
    errors: dict[int, str] = field(default_factory=dict)


def tickets_bulk_update(
    *,
    tickets: Iterable[Ticket],
    by: object,
    status: str = UNSET,
    assignee: User | None = UNSET,
    add_tag: str = "",
) -> BulkResult:
    """Apply one change to many tickets; a ticket that refuses (e.g. a closed one) is reported, not fatal."""
    result = BulkResult()
    for ticket in tickets:
        kwargs: dict[str, Any] = {}
        if status is not UNSET:
            kwargs["status"] = status
        if assignee is not UNSET:
            kwargs["assignee"] = assignee
        if add_tag:
            kwargs["tags"] = [*(t.name for t in ticket.tags.all()), add_tag]
        try:
            ticket_update(ticket=ticket, by=by, **kwargs)
        except ValidationError as exc:
            result.errors[ticket.number] = " ".join(exc.messages)
        else:
            result.updated.append(ticket.number)
    return result
