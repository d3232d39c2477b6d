"""Jira webhooks: the signature (X-Hub-Signature: sha256=<hex HMAC of the body>) and the events used."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from integrations.backsync import InboundEvent
from integrations.backsync import json_object as _obj
from integrations.base import RemoteComment

ISSUE_EVENTS = {"jira:issue_updated", "jira:issue_created"}
COMMENT_EVENTS = {"comment_created", "comment_updated"}


def signature_valid(*, secret: str, body: bytes, header: str) -> bool:
    if not secret or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower())


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
