"""Which language a person reads: the project's own choice after ``LocaleMiddleware`` (docs/i18n.md).

A signed-in person reads their ``User.language``, else their tenant's default (``Tenant.language``
when it is one of ``LANGUAGES``, else ``LANGUAGE_CODE``). A visitor of a tenant's public pages (portal,
widget, sign-in) reads the first language of their ``Accept-Language`` header that the tenant offers
(``Tenant.languages``; empty: every one of ``LANGUAGES``), else the tenant's default.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_supported_language_variant
from django.utils.translation.trans_real import parse_accept_lang_header

from helpdesk.tenants.db import connection


def language_supported(code: str | None) -> str | None:
    """``code`` (``ru``, ``ru-RU``) as one of ``LANGUAGES``, or None."""
    if not code:
        return None
    try:
        return get_supported_language_variant(code.strip().lower())
    except LookupError:
        return None


def _current_tenant(tenant: Any = None) -> Any:
    tenant = tenant if tenant is not None else getattr(connection, "tenant", None)
    if tenant is None or getattr(tenant, "schema_name", None) == settings.PUBLIC_SCHEMA_NAME:
        return None
    return tenant


def tenant_default_language(tenant: Any = None) -> str:
    """The language a tenant's new users and customers read (its ``language`` when translated)."""
    tenant = _current_tenant(tenant)
    return language_supported(getattr(tenant, "language", None)) or settings.LANGUAGE_CODE


def tenant_languages(tenant: Any = None) -> list[str]:
    """The interface languages a tenant offers its visitors, its default first."""
    tenant = _current_tenant(tenant)
    offered = [code for code, _ in settings.LANGUAGES]
    chosen = [c for c in (getattr(tenant, "languages", None) or []) if c in offered] or offered
    default = tenant_default_language(tenant)
    return [default, *(c for c in chosen if c != default)]


def visitor_language(accept_language: str, tenant: Any = None) -> str:
    """The first of a browser's languages the tenant offers, else the tenant's default."""
    offered = tenant_languages(tenant)
    for code, _quality in parse_accept_lang_header(accept_language or ""):
        found = language_supported(code)
        if found in offered:
            return found
    return offered[0]


def user_language(user: Any, tenant: Any = None) -> str:
    """The language a person reads pages and e-mails in: their own choice, else the tenant's default."""
    return language_supported(getattr(user, "language", "")) or tenant_default_language(tenant)


def request_language(request: HttpRequest) -> str | None:
    """The project's choice for this request, or None on the public site (``LocaleMiddleware`` decides)."""
    tenant = _current_tenant(getattr(request, "tenant", None))
    user = getattr(request, "user", None)
    if tenant is None:
        if user is not None and user.is_authenticated and language_supported(getattr(user, "language", "")):
            return language_supported(user.language)
        return None
    if user is not None and user.is_authenticated:
        return user_language(user, tenant)
    return visitor_language(request.headers.get("Accept-Language", ""), tenant)
