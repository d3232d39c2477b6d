"""Zendesk webhooks: signature base64(HMAC-SHA256(secret, timestamp + body)) and the events used."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from django.utils import timezone

from integrations.base import RemoteComment
from integrations.services.backsync import InboundEvent
from integrations.services.backsync import json_object as _obj
from integrations.zendesk.transport import RESOLVED


def signature_valid(*, secret: str, body: bytes, signature: str, timestamp: str, max_age_seconds: int) -> bool:
    if not secret or not signature or not timestamp:
        return False
    try:
        sent = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        return False
    if sent.tzinfo is None or abs((timezone.now() - sent).total_seconds()) > max_age_seconds:
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected, signature.strip())


def replay_key(*, timestamp: str, body: bytes) -> str:
    """What identifies a delivery: the digest of what the signature covers (the invocation id header is unsigned)."""
    return "sha256:" + hashlib.sha256(timestamp.encode() + body).hexdigest()


def webhook_event(body: bytes) -> InboundEvent | None:
    """Status changes and comments of Zendesk's ticket events; None for others. ValueError on bad JSON."""
    data: Any = json.loads(body or b"null")
    if not isinstance(data, dict):
        raise ValueError("the body is not a JSON object")
    kind = str(data.get("type") or "")
    detail = _obj(data.get("detail"))
    event = _obj(data.get("event"))
    key = str(detail.get("id") or "")
    if not key:
        return None
    if kind.endswith("ticket.status_changed"):
        status = str(event.get("current") or detail.get("status") or "").lower()
        return InboundEvent(kind=kind, key=key, status=status or None, resolved=status in RESOLVED if status else None)
    if kind.endswith("ticket.comment_added") and isinstance(event.get("comment"), dict):
        raw = event["comment"]
        comment = RemoteComment(
            remote_id=str(raw.get("id") or ""),
            author=str((raw.get("author") or {}).get("name") or "Zendesk user"),
            body=str(raw.get("body") or ""),
            public=bool(raw.get("is_public", True)),
        )
        return InboundEvent(kind=kind, key=key, comments=(comment,) if comment.remote_id else ())
    return None
