"""Every write on tickets: create, update (status, priority, assignee, tags), replies, bulk actions, SLA, CSAT.

Views, the API, the admin and the tasks all call these, so the transition rules, the SLA
clock and the audit trail hold whatever the entry point. ``by`` is who acts: a user, an
API client, a contact (the customer) or ``None`` (the system).
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from helpdesk.accounts.models import User
from tickets import metrics
from tickets.models import (
    NUMBER_SEQUENCE,
    UNRESOLVED,
    Attachment,
    Channel,
    Contact,
    Priority,
    Reply,
    ReplyKind,
    SLAPolicy,
    Status,
    Tag,
    Ticket,
    TicketEvent,
)

# Which status may follow which; `closed` is final, a solved ticket can only be reopened or closed.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED, Status.CLOSED}),
    Status.OPEN: frozenset({Status.PENDING, Status.ON_HOLD, Status.SOLVED, Status.CLOSED}),
    Status.PENDING: frozenset({Status.OPEN, Status.ON_HOLD, Status.SOLVED, Status.CLOSED}),
    Status.ON_HOLD: frozenset({Status.OPEN, Status.PENDING, Status.SOLVED, Status.CLOSED}),
    Status.SOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}

UNSET: Any = object()
# Types the platform's mime table may lack.
EXTRA_TYPES = {".log": "text/plain", ".md": "text/markdown", ".webp": "image/webp"}


def transition_check(current: str, target: str) -> None:
    """Raise ``ValidationError`` (on ``status``) when ``current`` may not become ``target``."""
    if target not in Status.values:
        raise ValidationError({"status": f"Unknown status {target!r}."})
    if target == current:
        return
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(Status(s).label.lower() for s in Status.values if s in TRANSITIONS[current]) or "none"
        raise ValidationError(
            {
                "status": f"A {Status(current).label.lower()} ticket cannot become "
                f"{Status(target).label.lower()} (allowed: {allowed})."
            }
        )


def _actor(by: object) -> tuple[User | None, str]:
    if isinstance(by, User):
        return by, ""
    if isinstance(by, Contact):
        return None, f"Customer {by.email}"
    return None, str(by) if by is not None else "System"


def _event(ticket: Ticket, by: object, name: str, old: object = "", new: object = "") -> TicketEvent:
    user, label = _actor(by)
    return TicketEvent(
        ticket=ticket, actor=user, actor_name=label, field=name, old_value=_text(old), new_value=_text(new)
    )


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


# --- Contacts and tags -----------------------------------------------------------------------------


def contact_ensure(*, email: str, name: str = "", organisation: str = "") -> Contact:
    """The contact with this email (case-insensitive), created if new; fills a missing name."""
    email = email.strip().lower()
    if not email:
        raise ValidationError({"email": "An email address is required."})
    contact, created = Contact.objects.get_or_create(
        email=email, defaults={"name": name.strip(), "organisation": organisation.strip()}
    )
    updates = []
    if not created and name.strip() and not contact.name:
        contact.name = name.strip()
        updates.append("name")
    if not created and organisation.strip() and not contact.organisation:
        contact.organisation = organisation.strip()
        updates.append("organisation")
    if updates:
        contact.save(update_fields=updates)
    return contact


def tags_ensure(names: Iterable[str]) -> list[Tag]:
    slugs = sorted({slugify(n, allow_unicode=True)[:50] for n in names if n and n.strip()} - {""})
    existing = {t.name: t for t in Tag.objects.filter(name__in=slugs)}
    missing = [Tag(name=s) for s in slugs if s not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {t.name: t for t in Tag.objects.filter(name__in=slugs)}
    return [existing[s] for s in slugs]


def parse_tags(text: str) -> list[str]:
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


# --- SLA -------------------------------------------------------------------------------------------


def sla_due_times(*, priority: str, start: datetime) -> tuple[datetime | None, datetime | None]:
    policy = SLAPolicy.objects.filter(priority=priority).first()
    if policy is None:
        return None, None
    return (
        start + timedelta(minutes=policy.first_response_minutes),
        start + timedelta(minutes=policy.resolution_minutes),
    )


@dataclass(frozen=True)
class BreachCount:
    first_response: int
    resolution: int


@transaction.atomic
def sla_mark_breaches(*, now: datetime | None = None) -> BreachCount:
    """Stamp tickets whose first-response or resolution target passed unmet (each once) and count them."""
    now = now or timezone.now()
    first = list(
        Ticket.objects.select_for_update(skip_locked=True).filter(
            first_response_at__isnull=True,
            first_response_due_at__lt=now,
            first_response_breached_at__isnull=True,
            status__in=UNRESOLVED,
        )
    )
    resolution = list(
        Ticket.objects.select_for_update(skip_locked=True).filter(
            resolution_due_at__lt=now, resolution_breached_at__isnull=True, status__in=UNRESOLVED
        )
    )
    events = []
    for ticket in first:
        ticket.first_response_breached_at = now
        events.append(_event(ticket, "SLA monitor", "sla_first_response", "", "breached"))
    for ticket in resolution:
        ticket.resolution_breached_at = now
        events.append(_event(ticket, "SLA monitor", "sla_resolution", "", "breached"))
    Ticket.objects.bulk_update(first, ["first_response_breached_at"])
    Ticket.objects.bulk_update(resolution, ["resolution_breached_at"])
    TicketEvent.objects.bulk_create(events)
    result = BreachCount(first_response=len(first), resolution=len(resolution))
    schema = connection.schema_name  # type: ignore[attr-defined]
    transaction.on_commit(lambda: metrics.sla_breaches_add(schema=schema, counts=result))
    return result


# --- Tickets ---------------------------------------------------------------------------------------


def _next_number() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s)", [NUMBER_SEQUENCE])
        return int(cursor.fetchone()[0])


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
) -> Ticket:
    """Open a ticket for ``requester`` with its SLA due times, tags and a `created` audit row."""
    subject = subject.strip()
    errors = {}
    if not subject:
        errors["subject"] = "A subject is required."
    if priority not in Priority.values:
        errors["priority"] = f"Unknown priority {priority!r}."
    if channel not in Channel.values:
        errors["channel"] = f"Unknown channel {channel!r}."
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    first_due, resolution_due = sla_due_times(priority=priority, start=now)
    ticket = Ticket.objects.create(
        number=_next_number(),
        subject=subject[:200],
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
    _event(ticket, by, "created", "", ticket.reference).save()
    return ticket


def _apply_status(ticket: Ticket, status: str) -> None:
    transition_check(ticket.status, status)
    if status == Status.SOLVED or (status == Status.CLOSED and ticket.solved_at is None):
        ticket.solved_at = timezone.now()
    elif status in UNRESOLVED:
        ticket.solved_at = None
    ticket.status = status


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
        events.append(_event(locked, by, name, shown_old if shown_old is not None else old, shown_new or new))
        setattr(locked, name, new)
        changed.append(name)

    if status is not UNSET and status != locked.status:
        old_status = locked.status
        _apply_status(locked, status)
        events.append(_event(locked, by, "status", old_status, status))
        changed += ["status", "solved_at"]
    if priority is not UNSET and priority != locked.priority:
        if priority not in Priority.values:
            raise ValidationError({"priority": f"Unknown priority {priority!r}."})
        change("priority", priority)
        first_due, resolution_due = sla_due_times(priority=priority, start=locked.created_at)
        locked.first_response_due_at, locked.resolution_due_at = first_due, resolution_due
        changed += ["first_response_due_at", "resolution_due_at"]
    if assignee is not UNSET and assignee != locked.assignee:
        events.append(_event(locked, by, "assignee", locked.assignee or "", assignee or ""))
        locked.assignee = assignee
        changed.append("assignee")
    if subject is not UNSET:
        if not subject.strip():
            raise ValidationError({"subject": "A subject is required."})
        change("subject", subject.strip()[:200])
    if category is not UNSET:
        change("category", category.strip())
    if tags is not UNSET:
        old_tags = sorted(t.name for t in locked.tags.all())
        new_tags = tags_ensure(tags)
        if [t.name for t in new_tags] != old_tags:
            locked.tags.set(new_tags)
            events.append(_event(locked, by, "tags", ", ".join(old_tags), ", ".join(t.name for t in new_tags)))
            changed.append("updated_at")
    if changed:
        locked.save(update_fields=sorted({*changed, "updated_at"}))
        TicketEvent.objects.bulk_create(events)
    # The caller's instance reflects what was saved.
    for name in {*changed, "updated_at", "first_response_due_at", "resolution_due_at", "solved_at"}:
        setattr(ticket, name, getattr(locked, name))
    return events


def ticket_transition(*, ticket: Ticket, status: str, by: object) -> list[TicketEvent]:
    return ticket_update(ticket=ticket, status=status, by=by)


def ticket_assign(*, ticket: Ticket, agent: User | None, by: object) -> list[TicketEvent]:
    return ticket_update(ticket=ticket, assignee=agent, by=by)


@transaction.atomic
def ticket_delete(*, ticket: Ticket, by: object) -> None:
    """Delete a ticket with its thread, audit trail and attachment files."""
    files = list(Attachment.objects.filter(reply__ticket=ticket))
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


# --- Replies ---------------------------------------------------------------------------------------


def attachment_validate(upload: UploadedFile) -> str:
    """The content type of an allowed upload; ``ValidationError`` for a wrong type or size."""
    name = PurePath(upload.name or "").name
    suffix = PurePath(name).suffix.lower()
    allowed = settings.TICKETS_ATTACHMENT_TYPES
    if suffix not in allowed:
        raise ValidationError(f"{name}: files of type {suffix or '(none)'} are not allowed ({', '.join(allowed)}).")
    limit = settings.TICKETS_ATTACHMENT_MAX_MB * 1024 * 1024
    if not upload.size:
        raise ValidationError(f"{name} is empty.")
    if upload.size > limit:
        raise ValidationError(f"{name} is larger than {settings.TICKETS_ATTACHMENT_MAX_MB} MB.")
    # The type comes from the (allowed) extension, never from the browser's claim.
    return EXTRA_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


@transaction.atomic
def reply_add(
    *,
    ticket: Ticket,
    body: str,
    by: object,
    kind: str = ReplyKind.PUBLIC,
    files: Sequence[UploadedFile] = (),
) -> Reply:
    """Add a message to the thread.

    An agent's first public reply stamps ``first_response_at`` and opens a new ticket; a
    customer's reply reopens a pending or solved ticket. Closed tickets take no replies.
    """
    body = body.strip()
    if not body:
        raise ValidationError({"body": "Write a message first."})
    if kind not in ReplyKind.values:
        raise ValidationError({"kind": f"Unknown kind {kind!r}."})
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if locked.status == Status.CLOSED:
        raise ValidationError({"body": "This ticket is closed; open a new ticket instead."})
    content_types, problems = [], []
    for upload in files:
        try:
            content_types.append(attachment_validate(upload))
        except ValidationError as exc:
            problems += exc.messages
    if problems:
        raise ValidationError({"attachments": problems})
    user, label = _actor(by)
    contact = by if isinstance(by, Contact) else None
    is_customer = contact is not None
    if is_customer and kind != ReplyKind.PUBLIC:
        raise ValidationError({"kind": "Customers can only write public replies."})
    reply = Reply.objects.create(
        ticket=locked,
        kind=kind,
        body=body,
        author_user=user,
        author_contact=contact,
        author_name="" if user or is_customer else label,
    )
    for upload, content_type in zip(files, content_types, strict=True):
        Attachment.objects.create(
            reply=reply,
            file=upload,
            filename=PurePath(upload.name or "file").name[:200],
            content_type=content_type,
            size=upload.size or 0,
        )
    events = [_event(locked, by, "reply" if kind == ReplyKind.PUBLIC else kind, "", f"#{reply.pk}")]
    updates = ["updated_at"]
    if kind == ReplyKind.PUBLIC and not is_customer:
        if locked.first_response_at is None:
            locked.first_response_at = reply.created_at
            updates.append("first_response_at")
        if locked.status == Status.NEW:
            events.append(_event(locked, by, "status", locked.status, Status.OPEN))
            _apply_status(locked, Status.OPEN)
            updates += ["status", "solved_at"]
    if is_customer and locked.status in (Status.PENDING, Status.SOLVED, Status.ON_HOLD):
        events.append(_event(locked, by, "status", locked.status, Status.OPEN))
        _apply_status(locked, Status.OPEN)
        updates += ["status", "solved_at"]
    locked.save(update_fields=updates)
    TicketEvent.objects.bulk_create(events)
    for name in updates:
        setattr(ticket, name, getattr(locked, name))
    return reply


def note_add(*, ticket: Ticket, body: str, by: object, files: Sequence[UploadedFile] = ()) -> Reply:
    return reply_add(ticket=ticket, body=body, by=by, kind=ReplyKind.INTERNAL_NOTE, files=files)


# --- Customer portal -------------------------------------------------------------------------------


@transaction.atomic
def portal_request_submit(*, email: str, name: str, subject: str, description: str) -> Ticket:
    """A request from the public portal: the contact is found or created by email."""
    if not description.strip():
        raise ValidationError({"description": "Tell us what happened."})
    contact = contact_ensure(email=email, name=name)
    return ticket_create(
        subject=subject, description=description, requester=contact, channel=Channel.PORTAL, by=contact
    )


@transaction.atomic
def ticket_rate(*, ticket: Ticket, contact: Contact, rating: int, comment: str = "") -> Ticket:
    """Record the requester's satisfaction (1 to 5) once, after the ticket is solved."""
    if rating not in range(1, 6):
        raise ValidationError({"rating": "Pick a rating from 1 to 5."})
    if ticket.requester_id != contact.pk:
        raise ValidationError({"rating": "Only the requester can rate this ticket."})
    updated = Ticket.objects.filter(
        Q(status=Status.SOLVED) | Q(status=Status.CLOSED), pk=ticket.pk, csat_rating__isnull=True
    ).update(csat_rating=rating, csat_comment=comment.strip(), csat_at=timezone.now())
    if not updated:
        fresh = Ticket.objects.get(pk=ticket.pk)
        if fresh.csat_rating is not None:
            raise ValidationError({"rating": "This ticket was already rated. Thank you!"})
        raise ValidationError({"rating": "You can rate the resolution once the ticket is solved."})
    _event(ticket, contact, "csat", "", rating).save()
    ticket.refresh_from_db(fields=["csat_rating", "csat_comment", "csat_at"])
    return ticket
