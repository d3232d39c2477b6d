"""Contacts and tags."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.text import slugify

from tickets.models import (
    Contact,
    Tag,
)


def contact_ensure(*, email: str, name: str = "", organisation: str = "") -> Contact:
    """The contact with this email (case-insensitive), created if new; fills a missing name."""
    email = email.strip().lower()
    if not email:
        raise ValidationError({"email": "An email address is required."})
    contact, created = Contact.objects.get_or_create(
        email=email, claim_of=None, defaults={"name": name.strip(), "organisation": organisation.strip()}
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


def contact_for_public_request(*, email: str, name: str = "") -> Contact:
    """Who a public (unauthenticated) request comes from.

    A new address becomes a contact as usual. The address of an existing contact gets
    an unverified claim instead (a contact row with ``claim_of`` set): the request is
    attached to the real contact only once the address is confirmed
    (``contact_claim_confirm``), so nobody can write into another customer's history by
    typing their address.
    """
    email = email.strip().lower()
    if not email:
        raise ValidationError({"email": "An email address is required."})
    existing = Contact.objects.filter(email=email, claim_of=None).first()
    if existing is None:
        return contact_ensure(email=email, name=name)
    return Contact.objects.create(email=email, name=name.strip(), claim_of=existing)


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
