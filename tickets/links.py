"""Signed links to a ticket's status page in the customer portal.

The token names the ticket and its requester and is signed with the tenant's schema in
the salt, so a link of one tenant never opens anything in another.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.http import Http404
from django.urls import reverse

from helpdesk.tenants.db import connection
from tickets.models import Contact, Ticket


def _salt() -> str:
    return f"tickets.portal:{connection.schema_name}"


def portal_token(ticket: Ticket, contact: Contact | None = None) -> str:
    """The key of ``contact`` (default: the requester) to the ticket's status page."""
    contact_id = contact.pk if contact is not None else ticket.requester_id
    return signing.dumps({"n": ticket.number, "c": contact_id}, salt=_salt(), compress=True)


def portal_path(ticket: Ticket, contact: Contact | None = None) -> str:
    return reverse("portal:status", kwargs={"token": portal_token(ticket, contact)})


def visitor_from_token(token: str) -> tuple[Ticket, Contact]:
    """The ticket and the person (its requester or a CC'd contact) a valid, unexpired token names; else 404."""
    max_age = settings.TICKETS_PORTAL_LINK_MAX_AGE_DAYS * 86400
    try:
        data = signing.loads(token, salt=_salt(), max_age=max_age)
        ticket = Ticket.objects.select_related("requester").get(number=int(data["n"]))
        contact_id = int(data["c"])
    except (signing.BadSignature, KeyError, TypeError, ValueError, Ticket.DoesNotExist):
        raise Http404("This link is not valid (or has expired).") from None
    if contact_id == ticket.requester_id:
        return ticket, ticket.requester
    contact = ticket.cc.filter(pk=contact_id).first()
    if contact is None:  # removed from CC, or a link of another ticket's requester
        raise Http404("This link is not valid (or has expired).")
    return ticket, contact


def ticket_from_token(token: str) -> Ticket:
    """The ticket a valid, unexpired token names; 404 for anything else."""
    return visitor_from_token(token)[0]
