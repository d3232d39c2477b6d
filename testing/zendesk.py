"""A local fake of the Zendesk Support API v2 endpoints `zenpy` uses here.

users/me, users/{id}, groups/{id}, tickets create (with the ``Idempotency-Key`` header: the
same key and body answer the first ticket again with ``x-idempotency-lookup: hit``; the same key
with another body is a 400), show, list by ``external_id``, update (status, comment), comments.
It can post signed webhooks (HMAC-SHA256 over timestamp + body, base64) like a Zendesk webhook.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

import requests

from testing.fakeserver import FakeRequest, FakeServer, Response

API = "/api/v2"
BOT_ID, AGENT_ID = 900001, 900002


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _error(status: int, error: str, description: str, details: dict[str, Any] | None = None) -> Response:
    return status, {"error": error, "description": description, **({"details": details} if details else {})}, {}


class FakeZendesk(FakeServer):
    name = "zendesk"

    def __init__(
        self,
        *,
        username: str = "bot@example.test",
        token: str = "zd-token",  # noqa: S107 - the fake's own test credential
        latency: float = 0.0,
    ) -> None:
        super().__init__(username=username, token=token, latency=latency)
        self.tickets: dict[int, dict[str, Any]] = {}
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.idempotency: dict[str, tuple[str, Response]] = {}
        self._ids = itertools.count(101)
        self._comment_ids = itertools.count(5000)
        self.groups = {360001: "Tier 2"}
        self.users = {BOT_ID: ("Helpdesk Bot", "admin"), AGENT_ID: ("Zoe Zendesk", "agent")}
        self.webhook_url = ""
        self.webhook_host = ""
        self.webhook_secret = ""
        self.webhook_results: list[int] = []
        for method, pattern, handler in [
            ("GET", f"{API}/users/me.json", self.me),
            ("GET", rf"{API}/users/(?P<id>\d+).json", self.user),
            ("GET", rf"{API}/groups/(?P<id>\d+).json", self.group),
            ("POST", f"{API}/tickets.json", self.create_ticket),
            ("GET", f"{API}/tickets.json", self.list_tickets),
            ("GET", rf"{API}/tickets/(?P<id>\d+).json", self.show_ticket),
            ("PUT", rf"{API}/tickets/(?P<id>\d+).json", self.update_ticket),
            ("GET", rf"{API}/tickets/(?P<id>\d+)/comments.json", self.list_comments),
        ]:
            self.route(method, pattern, handler)

    def accepts(self, user: str, secret: str) -> bool:
        return user == f"{self.username}/token" and secret == self.token

    def unauthorised(self) -> Response:
        return 401, {"error": "Couldn't authenticate you"}, {}

    def not_found(self, request: FakeRequest) -> Response:
        return _error(404, "InvalidEndpoint", f"Not found: {request.method} {request.path}")

    # --- what a person does in Zendesk -----------------------------------------------------------

    def with_external_id(self, external_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return [t for t in self.tickets.values() if t.get("external_id") == external_id]

    def delete(self, ticket_id: int) -> None:
        """The ticket is deleted: Zendesk answers 404 RecordNotFound for it from now on."""
        with self.lock:
            del self.tickets[ticket_id]

    def set_status(self, ticket_id: int, status: str, *, notify: bool = True) -> None:
        with self.lock:
            ticket = self.tickets[ticket_id]
            previous, ticket["status"], ticket["updated_at"] = ticket["status"], status, _now()
        if notify:
            event = {"previous": previous, "current": status}
            self._notify("zen:event-type:ticket.status_changed", ticket_id, event)

    def comment(self, ticket_id: int, body: str, *, public: bool = True, notify: bool = True) -> dict[str, Any]:
        with self.lock:
            comment = self._add_comment(ticket_id, body, public=public, author_id=AGENT_ID)
        if notify:
            event = {
                "comment": {"id": comment["id"], "body": body, "is_public": public, "author": {"name": "Zoe Zendesk"}}
            }
            self._notify("zen:event-type:ticket.comment_added", ticket_id, event)
        return comment

    def _notify(self, kind: str, ticket_id: int, event: dict[str, Any]) -> None:
        if not self.webhook_url:
            return
        ticket = self.tickets[ticket_id]
        payload = {
            "id": str(uuid.uuid4()),
            "type": kind,
            "time": _now(),
            "detail": {"id": str(ticket_id), "status": ticket["status"].upper(), "subject": ticket["subject"]},
            "event": event,
        }
        body = json.dumps(payload).encode()
        timestamp = _now()
        signature = base64.b64encode(
            hmac.new(self.webhook_secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
        ).decode()
        headers = {
            "Content-Type": "application/json",
            "X-Zendesk-Webhook-Id": "01HWEBHOOK",
            "X-Zendesk-Webhook-Invocation-Id": str(uuid.uuid4().int)[:18],
            "X-Zendesk-Webhook-Signature": signature,
            "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
        }
        if self.webhook_host:
            headers["Host"] = self.webhook_host

        def send() -> None:
            try:
                status = requests.post(self.webhook_url, data=body, headers=headers, timeout=10).status_code
            except requests.RequestException:
                status = 0
            with self.lock:
                self.webhook_results.append(status)

        threading.Thread(target=send, daemon=True).start()

    # --- REST ------------------------------------------------------------------------------------

    def _user(self, user_id: int) -> dict[str, Any]:
        name, role = self.users[user_id]
        return {
            "id": user_id,
            "name": name,
            "email": self.username if user_id == BOT_ID else "zoe@example.test",
            "role": role,
        }

    def me(self, request: FakeRequest) -> Response:
        return 200, {"user": self._user(BOT_ID)}, {}

    def user(self, request: FakeRequest) -> Response:
        assert request.match is not None
        user_id = int(request.match["id"])
        if user_id not in self.users:
            return _error(404, "RecordNotFound", "Not found")
        return 200, {"user": self._user(user_id)}, {}

    def group(self, request: FakeRequest) -> Response:
        assert request.match is not None
        group_id = int(request.match["id"])
        if group_id not in self.groups:
            return _error(404, "RecordNotFound", "Not found")
        return 200, {"group": {"id": group_id, "name": self.groups[group_id]}}, {}

    def _add_comment(self, ticket_id: int, body: str, *, public: bool, author_id: int) -> dict[str, Any]:
        comment = {
            "id": next(self._comment_ids),
            "type": "Comment",
            "body": body,
            "html_body": f"<p>{body}</p>",
            "public": public,
            "author_id": author_id,
            "created_at": _now(),
        }
        self.comments.setdefault(ticket_id, []).append(comment)
        return comment

    def _audit(self, ticket_id: int, events: list[dict[str, Any]]) -> dict[str, Any]:
        return {"id": next(self._comment_ids), "ticket_id": ticket_id, "created_at": _now(), "events": events}

    def create_ticket(self, request: FakeRequest) -> Response:
        key = request.headers.get("idempotency-key", "")
        if key and key in self.idempotency:
            body_hash, response = self.idempotency[key]
            if body_hash != hashlib.sha256(request.body).hexdigest():
                return _error(400, "IdempotentRequestError", "Idempotency key reused with a different request body")
            status, payload, headers = response
            return status, payload, {**headers, "x-idempotency-lookup": "hit"}
        data = (request.json or {}).get("ticket") or {}
        comment = data.get("comment") or {}
        body = comment.get("body") or comment.get("html_body") or data.get("description")
        if not body:
            return _error(
                422,
                "RecordInvalid",
                "Record validation errors",
                {"description": [{"description": "Description: cannot be blank"}]},
            )
        if data.get("priority") not in (None, "low", "normal", "high", "urgent"):
            return _error(
                422, "RecordInvalid", "Record validation errors", {"priority": [{"description": "Priority is invalid"}]}
            )
        if data.get("group_id") is not None and int(data["group_id"]) not in self.groups:
            return _error(
                422, "RecordInvalid", "Record validation errors", {"group": [{"description": "Group is invalid"}]}
            )
        ticket_id = next(self._ids)
        ticket = {
            "id": ticket_id,
            "url": f"{self.url}/api/v2/tickets/{ticket_id}.json",
            "subject": data.get("subject") or body[:50],
            "description": body,
            "status": data.get("status") or "new",
            "priority": data.get("priority"),
            "tags": sorted(set(data.get("tags") or [])),
            "external_id": data.get("external_id"),
            "group_id": data.get("group_id"),
            "custom_fields": data.get("custom_fields") or [],
            "requester_id": BOT_ID,
            "created_at": _now(),
            "updated_at": _now(),
        }
        self.tickets[ticket_id] = ticket
        first = self._add_comment(ticket_id, body, public=bool(comment.get("public", True)), author_id=BOT_ID)
        created: Response = (
            201,
            {"ticket": ticket, "audit": self._audit(ticket_id, [first])},
            {"Location": ticket["url"]},
        )
        if key:
            self.idempotency[key] = (hashlib.sha256(request.body).hexdigest(), created)
        return created

    def _page(self, name: str, items: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            name: items,
            "next_page": None,
            "previous_page": None,
            "count": len(items),
            "meta": {"has_more": False},
            "links": {"next": None, "prev": None},
        }

    def list_tickets(self, request: FakeRequest) -> Response:
        items = list(self.tickets.values())
        external_id = request.arg("external_id")
        if external_id:
            items = [t for t in items if t.get("external_id") == external_id]
        return 200, self._page("tickets", items), {}

    def show_ticket(self, request: FakeRequest) -> Response:
        assert request.match is not None
        ticket = self.tickets.get(int(request.match["id"]))
        if ticket is None:
            return _error(404, "RecordNotFound", "Not found")
        return 200, {"ticket": ticket}, {}

    def update_ticket(self, request: FakeRequest) -> Response:
        assert request.match is not None
        ticket_id = int(request.match["id"])
        ticket = self.tickets.get(ticket_id)
        if ticket is None:
            return _error(404, "RecordNotFound", "Not found")
        data = (request.json or {}).get("ticket") or {}
        events = []
        comment = data.get("comment") or {}
        if comment.get("body"):
            events.append(
                self._add_comment(
                    ticket_id, comment["body"], public=bool(comment.get("public", True)), author_id=BOT_ID
                )
            )
        if data.get("status"):
            ticket["status"] = data["status"]
        ticket["updated_at"] = _now()
        return 200, {"ticket": ticket, "audit": self._audit(ticket_id, events)}, {}

    def list_comments(self, request: FakeRequest) -> Response:
        assert request.match is not None
        ticket_id = int(request.match["id"])
        if ticket_id not in self.tickets:
            return _error(404, "RecordNotFound", "Not found")
        return 200, self._page("comments", self.comments.get(ticket_id, [])), {}
