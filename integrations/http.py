"""The one place where integrations get their HTTP sessions: all through the outbound guard.

Jira, Zendesk and webhook receivers are addresses a tenant types in, so every connection is
checked by ``helpdesk.outbound`` (no loopback, private or link-local targets unless listed in
``OUTBOUND_ALLOWED_NETWORKS``); a refusal is permanent and its reason is shown as is.
"""

from __future__ import annotations

import httpx
import requests

from helpdesk import outbound
from helpdesk.outbound import OutboundBlocked

__all__ = ["OutboundBlocked", "blocked_reason", "guard", "httpx_client"]


def guard(session: requests.Session) -> requests.Session:
    """Put the guard on a session a client built (the jira client's, zenpy's)."""
    return outbound.guard_session(session)


def httpx_client(*, timeout: float) -> httpx.Client:
    """A client for outgoing webhook deliveries (redirects are not followed)."""
    return outbound.httpx_client(timeout=timeout, follow_redirects=False)


def blocked_reason(exc: BaseException) -> str | None:
    """The guard's reason when ``exc`` (or what caused it) is a refusal, else None."""
    current: BaseException | None = exc
    seen: set[int] = set()
    while current is not None and id(current) not in seen:
        if isinstance(current, OutboundBlocked):
            return current.reason
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None
