"""What the customer portal writes: requests and satisfaction ratings."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tickets.models import (
    Channel,
    Contact,
    Status,
    Ticket,
)
from tickets.services.audit import audit_event
from tickets.services.contacts import contact_ensure
from tickets.services.workflow import ticket_create


@transaction.atomic
def portal_request_submit(
    *, email: str, name: str, subject: str, description: str, files: Sequence[UploadedFile] = ()
) -> Ticket:
    """A request from the public portal: the contact is found or created by email; files as on any ticket."""
    if not description.strip():
        raise ValidationError({"description": "Tell us what happened."})
    contact = contact_ensure(email=email, name=name)
    return ticket_create(
        subject=subject, description=description, requester=contact, channel=Channel.PORTAL, by=contact, files=files
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
    audit_event(ticket, contact, "csat", "", rating).save()
    ticket.refresh_from_db(fields=["csat_rating", "csat_comment", "csat_at"])
    return ticket
