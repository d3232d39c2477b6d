from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from helpdesk.accounts.models import ApiKey
from helpdesk.http import client_ip
from helpdesk.tenants.db import connection

if TYPE_CHECKING:  # DRF imports this module while importing its views
    from rest_framework.request import Request
    from rest_framework.views import APIView


class ApiClientRateThrottle(SimpleRateThrottle):
    """One budget per API key (or signed-in user, or address), separate for each tenant."""

    scope = "api"

    def get_rate(self) -> str | None:
        # Read at call time (DRF's default reads once at import), so a changed setting applies.
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        return None if rate is None else str(rate)

    def get_cache_key(self, request: Request, view: APIView) -> str:
        if isinstance(request.auth, ApiKey):
            ident = f"key:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            # The client's address as the project reads it (PROXY_COUNT), not DRF's get_ident, which
            # trusts whatever X-Forwarded-For a client sends: a new header per request, a new budget.
            ident = f"ip:{client_ip(request._request)}"
        return f"throttle:{self.scope}:{connection.schema_name}:{ident}"


def login_username(request: HttpRequest, credentials: dict[str, object] | None) -> str | None:
    """The login name django-axes counts failures under: e-mail logins are case-insensitive, so is the count."""
    field = str(getattr(settings, "AXES_USERNAME_FORM_FIELD", "username"))
    value = (credentials or {}).get(field) or request.POST.get(field)
    return str(value).strip().lower() if value else None


def lockout_response(request: HttpRequest, response: object, credentials: dict[str, object] | None) -> HttpResponse:
    """The page a locked-out login gets (429), for tenant sign-ins and the platform admin alike."""
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "minutes": settings.LOGIN_LOCKOUT_MINUTES,
        "username": login_username(request, credentials) or "",
    }
    return render(request, "registration/locked_out.html", context, status=429)
