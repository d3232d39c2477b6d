"""The thread: replies, internal notes, AI drafts and their attachments."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from tickets import extensions, notifications
from tickets.models import Contact, Macro, Reply, ReplyKind, Status, Ticket, TicketEvent
from tickets.services.attachments import attachments_check, attachments_save
from tickets.services.audit import actor_of, audit_event
from tickets.services.macros import macro_actions_apply
from tickets.services.workflow import apply_status


@transaction.atomic
def reply_add(
    *,
    ticket: Ticket,
    body: str,
    by: object,
    kind: str = ReplyKind.PUBLIC,
    files: Sequence[UploadedFile] = (),
    macro: Macro | None = None,
) -> Reply:
    """Add a message to the thread, and e-mail the people it concerns (after the commit).

    An agent's first public reply stamps ``first_response_at`` and opens a new ticket; a
    customer's reply reopens a pending or solved ticket. Closed tickets take no replies.
    ``macro``: the canned reply the text came from; its actions (status, tags) apply with it.
    """
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write a message first.")})
    if kind not in ReplyKind.values:
        raise ValidationError({"kind": f"Unknown kind {kind!r}."})
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if locked.status == Status.CLOSED:
        raise ValidationError({"body": _("This ticket is closed; open a new ticket instead.")})
    content_types = attachments_check(files, ticket=locked)
    user, label = actor_of(by)
    contact = by if isinstance(by, Contact) else None
    is_customer = contact is not None
    if is_customer and kind != ReplyKind.PUBLIC:
        raise ValidationError({"kind": _("Customers can only write public replies.")})
    reply = Reply.objects.create(
        ticket=locked,
        kind=kind,
        body=body,
        author_user=user,
        author_contact=contact,
        author_name="" if user or is_customer else label,
    )
    attachments_save(ticket=locked, reply=reply, files=files, content_types=content_types)
    events = [audit_event(locked, by, "reply" if kind == ReplyKind.PUBLIC else kind, "", f"#{reply.pk}")]
    updates = ["updated_at"]
    if kind == ReplyKind.PUBLIC and not is_customer:
        if locked.first_response_at is None:
            locked.first_response_at = reply.created_at
            updates.append("first_response_at")
        if locked.status == Status.NEW:
            events.append(audit_event(locked, by, "status", locked.status, Status.OPEN))
            apply_status(locked, Status.OPEN)
            updates += ["status", "solved_at"]
    if is_customer and locked.status in (Status.PENDING, Status.SOLVED, Status.ON_HOLD):
        events.append(audit_event(locked, by, "status", locked.status, Status.OPEN))
        apply_status(locked, Status.OPEN)
        updates += ["status", "solved_at"]
    locked.save(update_fields=updates)
    TicketEvent.objects.bulk_create(events)
    for name in updates:
        setattr(ticket, name, getattr(locked, name))
    notifications.reply_sent(reply=reply, by=by)
    extensions.emit(extensions.REPLY_CREATED, reply=reply, by=by)
    if macro is not None:
        macro_actions_apply(macro=macro, ticket=ticket, by=by)
    return reply


def note_add(*, ticket: Ticket, body: str, by: object, files: Sequence[UploadedFile] = ()) -> Reply:
    return reply_add(ticket=ticket, body=body, by=by, kind=ReplyKind.INTERNAL_NOTE, files=files)
