"""What every tracker transport offers, the errors it raises, and how long to wait before a retry."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Protocol

from django.conf import settings
from django.utils import timezone

RETRYABLE_STATUS = {408, 425, 429, 500, 502, 503, 504}


class TransportError(Exception):
    """A failed call to another system. ``permanent`` ones (4xx, bad config) are not retried."""

    def __init__(
        self, reason: str, *, permanent: bool, status_code: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.status_code = status_code
        self.retry_after = retry_after


def unexpected(exc: Exception) -> TransportError:
    """A failure that is not the other side's answer (a bug, a bad stored secret): not retried."""
    return TransportError(f"Unexpected error: {type(exc).__name__}: {exc}"[:500], permanent=True)


def error_for_status(status_code: int, reason: str, retry_after: float | None = None) -> TransportError:
    retryable = status_code in RETRYABLE_STATUS or status_code >= 500
    return TransportError(
        f"HTTP {status_code}: {reason}"[:1000],
        permanent=not retryable,
        status_code=status_code,
        retry_after=retry_after,
    )


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - timezone.now()).total_seconds())


def backoff_seconds(attempt: int, retry_after: float | None = None) -> float:
    """Full-jitter exponential backoff for the given attempt (1-based); a Retry-After is a floor."""
    base = settings.INTEGRATIONS_RETRY_BASE_SECONDS
    cap = settings.INTEGRATIONS_RETRY_MAX_SECONDS
    ceiling = min(cap, base * (2 ** max(0, attempt - 1)))
    delay = random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not a secret
    if retry_after is not None:
        delay = max(delay, retry_after)  # the server said when; honour it even past the cap
    return delay


@dataclass(frozen=True)
class RemoteIssue:
    key: str
    remote_id: str
    url: str
    status: str = ""
    resolved: bool = False


@dataclass(frozen=True)
class RemoteComment:
    remote_id: str
    author: str
    body: str
    public: bool = True


@dataclass(frozen=True)
class EscalationRequest:
    """What a tracker gets for one ticket, already mapped to its fields."""

    marker: str  # label / external id that finds the issue again after a crash
    idempotency_key: str
    global_id: str
    summary: str
    description: str
    priority: str | None
    labels: list[str] = field(default_factory=list)
    category: str = ""
    ticket_url: str = ""
    ticket_title: str = ""


class Transport(Protocol):
    system: str

    def test(self) -> str: ...

    def find(self, marker: str) -> RemoteIssue | None: ...

    def create(self, request: EscalationRequest) -> RemoteIssue: ...

    def ensure_link(self, issue: RemoteIssue, request: EscalationRequest) -> None: ...

    def get(self, key: str) -> RemoteIssue: ...

    def comments(self, key: str) -> list[RemoteComment]: ...

    def add_comment(self, key: str, body: str) -> str: ...
