"""The one place where integrations get their HTTP sessions: all through the outbound guard.

Jira, Zendesk and webhook receivers are addresses a tenant types in, so every connection is
checked by ``helpdesk.outbound`` (no loopback, private or link-local targets unless listed in
``OUTBOUND_ALLOWED_NETWORKS``); a refusal is permanent and its reason is shown as is. Every
request asks for an uncompressed answer, reads a bounded body and ends by its deadline; a
tracker call (``tracker_call()``) ends by one deadline however many requests it makes.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

import httpx
import requests
from django.conf import settings

from helpdesk import outbound
from helpdesk.outbound import OutboundBlocked
from integrations.base import TransportError

__all__ = [
    "OutboundBlocked",
    "blocked_reason",
    "guard",
    "httpx_client",
    "request_error",
    "timeout_reason",
    "tracker_call",
]

# What a webhook delivery keeps of the receiver's answer (an excerpt is shown on the deliveries page).
EXCERPT_BYTES = 4096


def guard(session: requests.Session) -> requests.Session:
    """Put the guard on a session a client built (the jira client's, zenpy's)."""
    return outbound.guard_session(session)


def httpx_client(*, timeout: float) -> httpx.Client:
    """A client for outgoing webhook deliveries (redirects are not followed)."""
    return outbound.httpx_client(timeout=timeout, follow_redirects=False)


def tracker_call() -> AbstractContextManager[object]:
    """One call of a tracker client (it may page, follow redirects): all its requests end by one deadline."""
    return outbound.deadline()


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


def timeout_reason(exc: BaseException) -> str:
    """Why a call timed out, after the name of what was called: its deadline, or one read's timeout."""
    if late := outbound.deadline_exceeded(exc):
        return late.reason
    return f"did not answer within {settings.INTEGRATIONS_TIMEOUT_SECONDS:g} s"


def request_error(system: str, exc: requests.RequestException) -> TransportError:
    """A requests failure of a tracker call as a ``TransportError``: refusals are permanent, timeouts and
    connection failures are retried."""
    if reason := blocked_reason(exc):
        return TransportError(f"{system}: {reason}", permanent=True)
    if isinstance(exc, requests.Timeout) or outbound.deadline_exceeded(exc):
        return TransportError(f"{system} {timeout_reason(exc)}", permanent=False)
    if isinstance(exc, requests.ConnectionError):
        return TransportError(f"{system} is unreachable: {type(exc).__name__}", permanent=False)
    return TransportError(f"{system} request failed: {exc}", permanent=True)
