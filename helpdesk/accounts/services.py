"""Writes on users, roles and API keys. Keyword-only arguments, one transaction each."""

from __future__ import annotations

import secrets
import zoneinfo
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from helpdesk.accounts.models import ApiKey, User, hash_api_key
from helpdesk.accounts.roles import ADMIN, ROLE_LABELS, ROLES, STAFF_ROLES, sync_all_roles
from helpdesk.i18n import user_language
from helpdesk.mail import email_queue, site_url, tenant_headers
from helpdesk.tenants.db import connection

API_KEY_PREFIX_LENGTH = 8
# last_used_at is advisory; writing it at most once a minute keeps a busy key from writing on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class UserResult:
    user: User
    created: bool
    password: str | None  # set only when a password was generated for a new user


@transaction.atomic
def user_create_or_update(
    *,
    email: str,
    role: str,
    password: str | None = None,
    full_name: str = "",
    language: str | None = None,
    by: User | None = None,
) -> UserResult:
    """Create a user with a role, or bring an existing one to that role (idempotent).

    A new user without a password gets a generated one, returned once in the result. ``language`` (a code
    of ``LANGUAGES``, or empty for the tenant's default) is set when given.
    """
    if language and language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Unknown language %(code)r.") % {"code": language}})
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("%(email)r is not a valid email address") % {"email": email}}) from None
    if role not in ROLES:
        raise ValidationError(
            {"role": _("Unknown role %(role)r; choose one of %(roles)s") % {"role": role, "roles": _roles()}}
        )
    user = User.objects.filter(email=email).first()
    created = user is None
    generated = None
    if user is None:
        generated = None if password else secrets.token_urlsafe(12)
        user = User.objects.create_user(email, password or generated, full_name=full_name, language=language or "")
    else:
        if password:
            user.set_password(password)
        if full_name:
            user.full_name = full_name
        if language is not None:
            user.language = language
        user.save()
    role_assign(user=user, role=role, by=by)
    return UserResult(user=user, created=created, password=generated)


def _roles() -> str:
    return ", ".join(ROLES)


@transaction.atomic
def role_assign(*, user: User, role: str, by: User | None = None) -> None:
    """Give ``user`` exactly one role; only admins may hand out the admin role."""
    if role not in ROLES:
        raise ValidationError(
            {"role": _("Unknown role %(role)r; choose one of %(roles)s") % {"role": role, "roles": _roles()}}
        )
    if role == ADMIN and by is not None and not by.is_superuser and by.role != ADMIN:
        raise ValidationError({"role": _("Only an admin can make someone an admin.")})
    if not Group.objects.filter(name=role).exists():
        sync_all_roles()
    user.groups.set([Group.objects.get(name=role)])
    staff = role in STAFF_ROLES
    if user.is_staff != staff:
        user.is_staff = staff
        user.save(update_fields=["is_staff"])


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    raw_key: str  # shown once, never stored


def _new_raw_key() -> tuple[str, str]:
    prefix = secrets.token_hex(API_KEY_PREFIX_LENGTH // 2)
    return prefix, f"hd_{prefix}_{secrets.token_urlsafe(32)}"


@transaction.atomic
def api_key_issue(*, name: str, created_by: User | None = None) -> IssuedKey:
    """Issue a new key; the raw key is in the result and nowhere else."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("An API key needs a name")})
    if ApiKey.objects.filter(name=name, revoked_at__isnull=True).exists():
        raise ValidationError({"name": _("An active key named %(name)r already exists") % {"name": name}})
    prefix, raw = _new_raw_key()
    key = ApiKey.objects.create(name=name, prefix=prefix, hashed_key=hash_api_key(raw), created_by=created_by)
    return IssuedKey(api_key=key, raw_key=raw)


def api_key_revoke(*, api_key: ApiKey) -> None:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])


@transaction.atomic
def api_key_rotate(*, api_key: ApiKey, by: User | None = None) -> IssuedKey:
    api_key_revoke(api_key=api_key)
    return api_key_issue(name=api_key.name, created_by=by)


def api_key_authenticate(raw_key: str) -> ApiKey | None:
    """The active key of the current tenant matching ``raw_key``, marked as used; else None."""
    parts = raw_key.split("_")
    if len(parts) < 3 or parts[0] != "hd":
        return None
    key = ApiKey.objects.filter(hashed_key=hash_api_key(raw_key), revoked_at__isnull=True).first()
    if key is None:
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def profile_update(*, user: User, full_name: str, timezone: str, language: str = "") -> User:
    """What a person may change about themselves: their name, and the time zone and language pages and
    e-mails use (an empty language follows the tenant's default)."""
    if timezone and timezone not in zoneinfo.available_timezones():
        raise ValidationError({"timezone": _("Unknown time zone %(name)r.") % {"name": timezone}})
    if language and language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Unknown language %(code)r.") % {"code": language}})
    user.full_name = full_name.strip()
    user.timezone = timezone
    user.language = language
    user.save(update_fields=["full_name", "timezone", "language"])
    return user


@transaction.atomic
def user_invite(*, email: str, role: str, full_name: str = "", by: User | None = None) -> User:
    """A new user with a role and no password yet; they get an e-mail link to choose one.

    Inviting someone who exists but never set a password sends the link again.
    """
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("%(email)r is not a valid email address") % {"email": email}}) from None
    user = User.objects.filter(email=email).first()
    if user is not None and user.has_usable_password():
        raise ValidationError({"email": _("%(email)s already has an account.") % {"email": email}})
    if user is None:
        user = User.objects.create_user(email, None, full_name=full_name.strip())  # unusable password
    role_assign(user=user, role=role, by=by)
    path = reverse(
        "invite_accept",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    tenant_name = str(getattr(getattr(connection, "tenant", None), "name", "") or _("Helpdesk"))
    with translation.override(user_language(user)):
        body = render_to_string(
            "registration/invite_email.txt",
            {
                "user": user,
                "by": by,
                "link": site_url(path),
                "tenant_name": tenant_name,
                "role": ROLE_LABELS.get(role, role),
                "timeout_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
            },
        )
        subject = _("You are invited to the %(tenant)s helpdesk") % {"tenant": tenant_name}
    email_queue(to=[email], subject=subject, body=body, headers=tenant_headers())
    return user
