"""What the customer portal writes: requests, address confirmations, satisfaction ratings, link revocation."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from helpdesk.i18n import language_supported, tenant_default_language
from helpdesk.mail import email_queue
from tickets import links
from tickets.models import (
    Channel,
    Contact,
    Priority,
    Reply,
    Status,
    Ticket,
)
from tickets.services.audit import audit_event
from tickets.services.contacts import contact_for_public_request
from tickets.services.workflow import ticket_create


@transaction.atomic
def portal_request_submit(
    *,
    email: str,
    name: str,
    subject: str,
    description: str,
    site_url: str = "",
    channel: str = Channel.PORTAL,
    files: Sequence[UploadedFile] = (),
    priority: str = Priority.NORMAL,
    category: str = "",
    language: str = "",
) -> Ticket:
    """A request from the public (portal, widget): a new address becomes a contact, a known one must confirm.

    For the address of an existing contact the ticket belongs to an unverified claim until
    the link e-mailed to that address is followed (``claim_request_confirmation``).
    ``site_url`` is the address the customer used, for the links in that e-mail; ``language`` the one they
    read (a new contact keeps it for e-mails). ``files`` are
    checked and stored like any ticket's attachments.
    """
    if not description.strip():
        raise ValidationError({"description": _("Tell us what happened.")})
    contact = contact_for_public_request(email=email, name=name, language=language)
    ticket = ticket_create(
        subject=subject,
        description=description,
        requester=contact,
        channel=channel,
        by=contact,
        files=files,
        priority=priority,
        category=category,
    )
    if contact.is_unverified_claim:
        claim_request_confirmation(ticket=ticket, site_url=site_url)
    return ticket


def claim_request_confirmation(*, ticket: Ticket, site_url: str = "") -> None:
    """E-mail the claimed address a link that attaches ``ticket`` to its contact (sent after commit)."""
    claim = ticket.requester
    link = links.absolute(reverse("portal:confirm", kwargs={"token": links.confirm_token(ticket, claim)}), site_url)
    values = {"reference": ticket.reference, "subject": ticket.subject, "email": claim.email, "link": link}
    with translation.override(language_supported(claim.language) or tenant_default_language()):
        body = "\n\n".join(
            [
                _("Someone sent us request %(reference)s “%(subject)s” in your name (%(email)s).") % values,
                _("If it was you, confirm your address so that we can answer you:\n%(link)s") % values,
                ngettext(
                    "The link works for %(days)d day. If it was not you, ignore this message: "
                    "nothing is added to your account.",
                    "The link works for %(days)d days. If it was not you, ignore this message: "
                    "nothing is added to your account.",
                    links.CONFIRM_MAX_AGE_DAYS,
                )
                % {"days": links.CONFIRM_MAX_AGE_DAYS},
            ]
        )
        subject = _("Confirm your request %(reference)s") % values
    email_queue(to=[claim.email], subject=subject, body=body)


@transaction.atomic
def contact_claim_confirm(*, ticket: Ticket, claim: Contact) -> Ticket:
    """The address is confirmed: the claim's ticket and messages move to the real contact; the claim goes."""
    claim = Contact.objects.select_for_update().get(pk=claim.pk)
    real = claim.claim_of
    if real is None:
        raise ValidationError(_("This address is confirmed already."))
    Ticket.objects.filter(requester=claim).update(requester=real)
    Reply.objects.filter(author_contact=claim).update(author_contact=real)
    if claim.name and not real.name:
        real.name = claim.name
        real.save(update_fields=["name"])
    audit_event(ticket, real, "requester", f"{claim.email} (unverified)", f"{real.email} (confirmed)").save()
    claim.delete()
    return Ticket.objects.select_related("requester").get(pk=ticket.pk)


@transaction.atomic
def ticket_portal_links_revoke(
    *, ticket: Ticket, by: object, send_new_link: bool = False, site_url: str = ""
) -> Ticket:
    """Every status link of ``ticket`` issued so far stops working; optionally e-mail the requester a new one."""
    Ticket.objects.filter(pk=ticket.pk).update(portal_link_version=F("portal_link_version") + 1)
    ticket.refresh_from_db(fields=["portal_link_version"])
    audit_event(ticket, by, "portal_links", "", "revoked").save()
    if send_new_link and not ticket.requester.is_unverified_claim:
        link = links.absolute(links.portal_path(ticket), site_url)
        values = {"reference": ticket.reference, "subject": ticket.subject, "link": link}
        with translation.override(language_supported(ticket.requester.language) or tenant_default_language()):
            subject = _("A new link to your request %(reference)s") % values
            body = (
                _(
                    "Here is a new link to follow request %(reference)s “%(subject)s”:\n%(link)s\n\n"
                    "Earlier links to this request no longer work."
                )
                % values
            )
        email_queue(to=[ticket.requester.email], subject=subject, body=body)
    return ticket


@transaction.atomic
def ticket_rate(*, ticket: Ticket, contact: Contact, rating: int, comment: str = "") -> Ticket:
    """Record the requester's satisfaction (1 to 5) once, after the ticket is solved."""
    if rating not in range(1, 6):
        raise ValidationError({"rating": _("Pick a rating from 1 to 5.")})
    if ticket.requester_id != contact.pk:
        raise ValidationError({"rating": _("Only the requester can rate this ticket.")})
    updated = Ticket.objects.filter(
        Q(status=Status.SOLVED) | Q(status=Status.CLOSED), pk=ticket.pk, csat_rating__isnull=True
    ).update(csat_rating=rating, csat_comment=comment.strip(), csat_at=timezone.now())
    if not updated:
        fresh = Ticket.objects.get(pk=ticket.pk)
        if fresh.csat_rating is not None:
            raise ValidationError({"rating": _("This ticket was already rated. Thank you!")})
        raise ValidationError({"rating": _("You can rate the resolution once the ticket is solved.")})
    audit_event(ticket, contact, "csat", "", rating).save()
    ticket.refresh_from_db(fields=["csat_rating", "csat_comment", "csat_at"])
    return ticket
