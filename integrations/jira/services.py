"""Jira webhooks: the signature (X-Hub-Signature: sha256=<hex HMAC of the body>), its freshness, and the events used.

The signature covers only the body, and Jira's delivery id header is not signed: what makes a
delivery unique and recent is inside the signed body (``timestamp``, ms since the epoch, which
Jira puts on every event). So a replay is known by the body's digest, and an old body is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from integrations.base import RemoteComment
from integrations.services.backsync import InboundEvent
from integrations.services.backsync import json_object as _obj

ISSUE_EVENTS = {"jira:issue_updated", "jira:issue_created"}
COMMENT_EVENTS = {"comment_created", "comment_updated"}


def signature_valid(*, secret: str, body: bytes, header: str) -> bool:
    if not secret or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower())


def timestamp_fresh(*, body: bytes, max_age_seconds: int, now: float | None = None) -> bool:
    """False when the signed body says it was raised more than ``max_age_seconds`` from now.

    A body without a ``timestamp`` (older Jira Server webhooks) is not refused here; its digest
    still stops replays for as long as deliveries are remembered.
    """
    try:
        data: Any = json.loads(body or b"null")
    except ValueError:
        return True  # not JSON: the parser refuses it with a clearer message
    raw = data.get("timestamp") if isinstance(data, dict) else None
    if raw is None:
        return True
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return False
    now = time.time() if now is None else now
    return abs(now - raw / 1000) <= max_age_seconds


def replay_key(body: bytes) -> str:
    """What identifies a delivery: the digest of the signed body (never the unsigned id header)."""
    return "sha256:" + hashlib.sha256(body).hexdigest()


def webhook_event(body: bytes) -> InboundEvent | None:
    """The status or comment a Jira event carries; None for events we do not use. ValueError on bad JSON."""
    data: Any = json.loads(body or b"null")
    if not isinstance(data, dict):
        raise ValueError("the body is not a JSON object")
    kind = str(data.get("webhookEvent") or "")
    issue = _obj(data.get("issue"))
    key = str(issue.get("key") or "")
    if not key:
        return None
    fields = _obj(issue.get("fields"))
    status = fields.get("status") if isinstance(fields.get("status"), dict) else None
    status_name = str(status.get("name")) if status and status.get("name") else None
    resolved = None
    if status is not None:
        category = (status.get("statusCategory") or {}).get("key", "")
        resolved = category == "done" or bool(fields.get("resolution"))
    if kind in ISSUE_EVENTS:
        return InboundEvent(kind=kind, key=key, status=status_name, resolved=resolved)
    if kind in COMMENT_EVENTS and isinstance(data.get("comment"), dict):
        raw = data["comment"]
        comment = RemoteComment(
            remote_id=str(raw.get("id") or ""),
            author=str((raw.get("author") or {}).get("displayName") or "Jira user"),
            body=str(raw.get("body") or ""),
            public=raw.get("jsdPublic", True) is not False,
        )
        return InboundEvent(kind=kind, key=key, comments=(comment,) if comment.remote_id else ())
    return None
