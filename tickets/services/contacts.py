"""Contacts and tags."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.text import slugify
from django.utils.translation import gettext as _

from helpdesk.i18n import language_supported
from tickets.models import (
    Contact,
    Tag,
)


def contact_ensure(*, email: str, name: str = "", organisation: str = "", language: str = "") -> Contact:
    """The contact with this email (case-insensitive), created if new; fills a missing name and language."""
    email = email.strip().lower()
    if not email:
        raise ValidationError({"email": _("An email address is required.")})
    contact, created = Contact.objects.get_or_create(
        email=email,
        claim_of=None,
        defaults={
            "name": name.strip(),
            "organisation": organisation.strip(),
            "language": language_supported(language) or "",
        },
    )
    updates = []
    if not created and name.strip() and not contact.name:
        contact.name = name.strip()
        updates.append("name")
    if not created and organisation.strip() and not contact.organisation:
        contact.organisation = organisation.strip()
        updates.append("organisation")
    if not created and language_supported(language) and not contact.language:
        contact.language = language_supported(language) or ""
        updates.append("language")
    if updates:
        contact.save(update_fields=updates)
    return contact


def contact_language_remember(*, contact: Contact, language: str) -> None:
    """The language of a contact's first message or portal visit becomes the language of e-mails to them."""
    found = language_supported(language)
    if found and not contact.language:
        Contact.objects.filter(pk=contact.pk, language="").update(language=found)
        contact.language = found


def contact_for_public_request(*, email: str, name: str = "", language: str = "") -> Contact:
    """Who a public (unauthenticated) request comes from.

    A new address becomes a contact as usual. The address of an existing contact gets
    an unverified claim instead (a contact row with ``claim_of`` set): the request is
    attached to the real contact only once the address is confirmed
    (``contact_claim_confirm``), so nobody can write into another customer's history by
    typing their address.
    """
    email = email.strip().lower()
    if not email:
        raise ValidationError({"email": _("An email address is required.")})
    existing = Contact.objects.filter(email=email, claim_of=None).first()
    if existing is None:
        return contact_ensure(email=email, name=name, language=language)
    return Contact.objects.create(
        email=email, name=name.strip(), claim_of=existing, language=language_supported(language) or existing.language
    )


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
