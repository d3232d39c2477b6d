"""Typed requests for views: what the middleware stack puts on a request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

if TYPE_CHECKING:
    from helpdesk.accounts.models import User
    from helpdesk.tenants.models import Tenant


class AuthenticatedHttpRequest(HttpRequest):
    user: User
    tenant: Tenant
    htmx: HtmxDetails


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind ``PROXY_COUNT`` proxies the one the outermost saw.

    Each proxy appends the address it was reached from to X-Forwarded-For, so the entry
    ``PROXY_COUNT`` places from the right is the first one no client can write.
    """
    from django.conf import settings

    remote = str(request.META.get("REMOTE_ADDR") or "")
    if not settings.PROXY_COUNT:
        return remote
    hops = [hop.strip() for hop in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",") if hop.strip()]
    return hops[-settings.PROXY_COUNT] if len(hops) >= settings.PROXY_COUNT else remote
