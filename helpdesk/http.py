"""Typed requests for views: what the middleware stack puts on a request."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

if TYPE_CHECKING:
    from helpdesk.accounts.models import User
    from helpdesk.tenants.models import Tenant

logger = logging.getLogger(__name__)
# Headers reverse proxies add. Under PROXY_COUNT=0 a request that carries one came through a proxy
# nobody configured: REMOTE_ADDR is then the proxy's address, which every client shares.
FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")
_proxy_warning_logged = threading.Event()


class AuthenticatedHttpRequest(HttpRequest):
    user: User
    tenant: Tenant
    htmx: HtmxDetails


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind ``PROXY_COUNT`` proxies the one the outermost saw.

    Each proxy appends the address it was reached from to X-Forwarded-For, so the entry
    ``PROXY_COUNT`` places from the right is the first one no client can write.
    """
    remote = str(request.META.get("REMOTE_ADDR") or "")
    if not settings.PROXY_COUNT:
        return remote
    hops = [hop.strip() for hop in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",") if hop.strip()]
    return hops[-settings.PROXY_COUNT] if len(hops) >= settings.PROXY_COUNT else remote


def client_ip_is_own(request: HttpRequest) -> bool:
    """Whether ``client_ip`` is the client's own address rather than that of a proxy in front of us.

    It is not when a request carries forwarding headers under ``PROXY_COUNT=0``, or fewer
    X-Forwarded-For entries than ``PROXY_COUNT``: a decision by address (the ops endpoints' allow
    list) must then not trust it. The first such request of a process is logged for operators.
    """
    if settings.PROXY_COUNT:
        hops = [hop for hop in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",") if hop.strip()]
        own = not hops or len(hops) >= settings.PROXY_COUNT
    else:
        own = not any(request.META.get(header) for header in FORWARDING_HEADERS)
    if not own and not _proxy_warning_logged.is_set():
        _proxy_warning_logged.set()
        logger.warning(
            "A request from %s came through a proxy that PROXY_COUNT=%d does not account for: every client "
            "then has the proxy's address (login lockouts and rate limits hit everyone at once). "
            "Set PROXY_COUNT to the number of reverse proxies in front of the app.",
            request.META.get("REMOTE_ADDR"),
            settings.PROXY_COUNT,
        )
    return own
