"""Signed links of the customer portal: a ticket's status page, and the confirmation of an address.

Tokens are signed with the tenant's schema in the salt, so a link of one tenant never opens
anything in another. A status link names the ticket, its requester and the ticket's link
version: it expires ``TICKETS_PORTAL_LINK_MAX_AGE_DAYS`` after it was issued, however often
it is used (pages reuse the token they were opened with, they never extend it), and an agent
revokes every link of a ticket at once by raising the version.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin

from django.conf import settings
from django.core import signing
from django.http import Http404
from django.urls import reverse

from helpdesk.tenants.db import connection
from tickets.models import Contact, Ticket

CONFIRM_MAX_AGE_DAYS = 7
INVALID = "This link is not valid (it has expired or was revoked)."


def _salt(kind: str = "tickets.portal") -> str:
    return f"{kind}:{connection.schema_name}"


def portal_token(ticket: Ticket, contact: Contact | None = None) -> str:
    """The key of ``contact`` (default: the requester) to the ticket's status page, until revoked."""
    contact_id = contact.pk if contact is not None else ticket.requester_id
    payload = {"n": ticket.number, "c": contact_id, "v": ticket.portal_link_version}
    return signing.dumps(payload, salt=_salt(), compress=True)


def portal_path(ticket: Ticket, contact: Contact | None = None) -> str:
    return reverse("portal:status", kwargs={"token": portal_token(ticket, contact)})


def visitor_from_token(token: str) -> tuple[Ticket, Contact]:
    """The ticket and the person (its requester or a CC'd contact) a valid, unexpired, unrevoked token names."""
    max_age = settings.TICKETS_PORTAL_LINK_MAX_AGE_DAYS * 86400
    try:
        data = signing.loads(token, salt=_salt(), max_age=max_age)
        ticket = Ticket.objects.select_related("requester").get(
            number=int(data["n"]), portal_link_version=int(data.get("v", 0))
        )
        contact_id = int(data["c"])
    except (signing.BadSignature, KeyError, TypeError, ValueError, AttributeError, Ticket.DoesNotExist):
        raise Http404(INVALID) from None
    if contact_id == ticket.requester_id:
        return ticket, ticket.requester
    contact = ticket.cc.filter(pk=contact_id).first()
    if contact is None:  # removed from CC, or a link of another ticket's requester
        raise Http404(INVALID)
    return ticket, contact


def ticket_from_token(token: str) -> Ticket:
    """The ticket a valid, unexpired, unrevoked token names; 404 for anything else."""
    return visitor_from_token(token)[0]


def token_expires_at(token: str) -> datetime | None:
    """When a (valid) status token stops working."""
    try:
        issued = signing.b62_decode(token.rsplit(":", 2)[-2])
    except (IndexError, ValueError):
        return None
    return datetime.fromtimestamp(issued, tz=UTC) + timedelta(days=settings.TICKETS_PORTAL_LINK_MAX_AGE_DAYS)


def confirm_token(ticket: Ticket, claim: Contact) -> str:
    return signing.dumps({"n": ticket.number, "c": claim.pk}, salt=_salt("tickets.portal.confirm"), compress=True)


def claim_from_token(token: str) -> tuple[Ticket, Contact]:
    """The ticket and the unverified claim a confirmation token names; 404 once used, expired or forged."""
    try:
        data = signing.loads(token, salt=_salt("tickets.portal.confirm"), max_age=CONFIRM_MAX_AGE_DAYS * 86400)
        claim = Contact.objects.select_related("claim_of").get(pk=int(data["c"]), claim_of__isnull=False)
        ticket = Ticket.objects.get(number=int(data["n"]), requester=claim)
    except (signing.BadSignature, KeyError, TypeError, ValueError, Contact.DoesNotExist, Ticket.DoesNotExist):
        raise Http404(INVALID) from None
    return ticket, claim


def absolute(path: str, site_url: str = "") -> str:
    """``path`` on ``site_url`` (the address the customer used), else on the tenant's primary host."""
    if not site_url:
        domain = connection.tenant.get_primary_domain()
        scheme = "http" if settings.DEBUG or domain is None or domain.domain.endswith(".localhost") else "https"
        site_url = f"{scheme}://{domain.domain if domain else 'localhost'}/"
    return urljoin(site_url, path)
