"""Posting a signed JSON event to a receiver of the tenant's own (through ``integrations.http``).

The post ends by the outbound deadline and keeps only an excerpt of the answer: a receiver that
drips its answer or sends an endless (or compressed) one cannot hold the worker.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

import httpx
from django.conf import settings

from helpdesk.outbound import read_start
from integrations import http
from integrations.base import TransportError, error_for_status, parse_retry_after

SIGNATURE_HEADER = "X-Helpdesk-Signature"
TIMESTAMP_HEADER = "X-Helpdesk-Timestamp"


def sign(*, secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=`` + hex HMAC-SHA256 of ``<timestamp>.<body>``, what receivers recompute."""
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Sent:
    status_code: int
    seconds: float
    excerpt: str


def post(*, url: str, body: bytes, secret: str, event: str, delivery_id: str) -> Sent:
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Helpdesk-Webhooks/1.0",
        "X-Helpdesk-Event": event,
        "X-Helpdesk-Delivery": delivery_id,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(secret=secret, timestamp=timestamp, body=body),
    }
    started = time.perf_counter()
    try:
        with (
            http.httpx_client(timeout=settings.INTEGRATIONS_TIMEOUT_SECONDS) as client,
            client.stream("POST", url, content=body, headers=headers) as response,
        ):
            excerpt = read_start(response, http.EXCERPT_BYTES).decode(response.encoding or "utf-8", "replace")[:300]
    except http.OutboundBlocked as exc:
        raise TransportError(exc.reason, permanent=True) from exc
    except httpx.TimeoutException as exc:
        raise TransportError(f"The receiver {http.timeout_reason(exc)}", permanent=False) from exc
    except httpx.TransportError as exc:
        if reason := http.blocked_reason(exc):
            raise TransportError(reason, permanent=True) from exc
        raise TransportError(f"Could not connect: {type(exc).__name__}", permanent=False) from exc
    seconds = time.perf_counter() - started
    if response.is_success:
        return Sent(status_code=response.status_code, seconds=seconds, excerpt=excerpt)
    error = error_for_status(
        response.status_code, excerpt or response.reason_phrase, parse_retry_after(response.headers.get("Retry-After"))
    )
    error.duration = seconds  # type: ignore[attr-defined]
    raise error
