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
