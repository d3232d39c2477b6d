"""Zendesk through `zenpy` (Support API v2): tickets, comments, lookup by external id.

Creates carry an ``Idempotency-Key`` header (Zendesk answers a repeated key with the ticket it
made the first time); the ticket's ``external_id`` finds it again after a crash as well. zenpy's
own waiting on 429 is cut short (``ratelimit_budget=1``) so the outbox schedules the retry.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.utils.translation import gettext as _
from zenpy import Zenpy
from zenpy.lib.api import BaseApi
from zenpy.lib.api_objects import Comment
from zenpy.lib.api_objects import Ticket as ZendeskTicket
from zenpy.lib.exception import APIException, RatelimitBudgetExceeded, ZenpyException

from helpdesk import crypto
from integrations import http
from integrations.base import (
    EscalationRequest,
    RemoteComment,
    RemoteIssue,
    TransportError,
    error_for_status,
    parse_retry_after,
)
from integrations.models import Connection

RESOLVED = {"solved", "closed"}


class _RecordingSession(requests.Session):
    """Keeps the last response: zenpy's rate-limit exception does not carry its Retry-After."""

    last_response: requests.Response | None = None

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        response = super().send(request, **kwargs)
        self.last_response = response
        return response


def _body(response: requests.Response | None) -> str:
    if response is None:
        return "no details"
    try:
        data = response.json()
    except ValueError:
        return (response.text or "")[:300] or "no details"
    if not isinstance(data, dict):
        return str(data)[:300]
    text = str(data.get("description") or data.get("error") or data)
    details = data.get("details")
    if isinstance(details, dict):
        problems = [
            str(item.get("description", item)) if isinstance(item, dict) else str(item)
            for items in details.values()
            for item in (items if isinstance(items, list) else [items])
        ]
        text = f"{text} ({'; '.join(problems)})"
    return text[:300]


class ZendeskTransport:
    system = "zendesk"

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        parts = urlsplit(connection.base_url)
        self.base = f"{parts.scheme}://{parts.netloc}"
        subdomain, _, domain = parts.netloc.partition(".")
        if not domain:
            raise TransportError(f"Zendesk URL {connection.base_url!r} names no subdomain", permanent=True)
        self.session = _RecordingSession()
        http.guard(self.session)
        self.client = Zenpy(
            subdomain=subdomain,
            domain=domain,
            email=connection.username,
            token=crypto.decrypt(connection.token_encrypted),
            session=self.session,
            timeout=settings.INTEGRATIONS_TIMEOUT_SECONDS,
            ratelimit_budget=1,
        )
        self.client.disable_caching()  # a pull must see the ticket as it is now
        for api in vars(self.client).values():
            if isinstance(api, BaseApi):
                api.protocol = parts.scheme  # zenpy assumes https; a self-hosted proxy or a local fake may differ

    @contextmanager
    def classified(self) -> Iterator[None]:
        """One Zendesk call (pages included): it ends by the outbound deadline, errors become ``TransportError``."""
        try:
            with http.tracker_call():
                yield
        except http.OutboundBlocked as exc:
            raise TransportError(f"Zendesk: {exc.reason}", permanent=True) from exc
        except RatelimitBudgetExceeded as exc:
            response = self.session.last_response
            retry_after = parse_retry_after(response.headers.get("Retry-After")) if response is not None else None
            raise error_for_status(429, "Zendesk: rate limited", retry_after) from exc
        except APIException as exc:
            response = getattr(exc, "response", None)
            status = response.status_code if response is not None else 0
            retry_after = parse_retry_after(response.headers.get("Retry-After")) if response is not None else None
            raise error_for_status(status or 500, f"Zendesk: {_body(response)}", retry_after) from exc
        except requests.HTTPError as exc:
            response = exc.response
            status = response.status_code if response is not None else 500
            raise error_for_status(status, f"Zendesk: {_body(response)}") from exc
        except requests.RequestException as exc:
            raise http.request_error("Zendesk", exc) from exc
        except ZenpyException as exc:
            raise TransportError(f"Zendesk: {exc}", permanent=True) from exc

    def _remote(self, ticket: Any) -> RemoteIssue:
        status = str(getattr(ticket, "status", "") or "")
        return RemoteIssue(
            key=str(ticket.id),
            remote_id=str(ticket.id),
            url=f"{self.base}/agent/tickets/{ticket.id}",
            status=status,
            resolved=status in RESOLVED,
        )

    def test(self) -> str:
        with self.classified():
            me = self.client.users.me()
            parts = [
                _("Connected to Zendesk at %(base)s as %(who)s (%(role)s).")
                % {"base": self.base, "who": me.name or me.email, "role": me.role}
            ]
            if self.connection.group_id:
                group = self.client.groups(id=self.connection.group_id)
                parts.append(_("Group %(name)s found.") % {"name": group.name})
        return " ".join(parts)

    def find(self, marker: str) -> RemoteIssue | None:
        with self.classified():
            for ticket in self.client.tickets(external_id=marker):
                return self._remote(ticket)
        return None

    def create(self, request: EscalationRequest) -> RemoteIssue:
        fields: dict[str, Any] = {
            "subject": request.summary,
            "comment": Comment(body=request.description, public=False),
            "external_id": request.marker,
            "tags": [request.marker, *request.labels],
        }
        if request.priority:
            fields["priority"] = request.priority
        if self.connection.group_id:
            fields["group_id"] = self.connection.group_id
        target = self.connection.category_field
        if request.category and target == "label":
            fields["tags"].append(request.category)
        elif request.category and target.isdigit():
            fields["custom_fields"] = [{"id": int(target), "value": request.category}]
        self.session.headers["Idempotency-Key"] = request.idempotency_key
        try:
            with self.classified():
                audit = self.client.tickets.create(ZendeskTicket(**fields))
        finally:
            self.session.headers.pop("Idempotency-Key", None)
        return self._remote(audit.ticket)

    def ensure_link(self, issue: RemoteIssue, request: EscalationRequest) -> None:
        """The link back is the external id and the first comment; nothing more to do."""

    def get(self, key: str) -> RemoteIssue:
        with self.classified():
            return self._remote(self.client.tickets(id=int(key)))

    def comments(self, key: str) -> list[RemoteComment]:
        result = []
        with self.classified():
            for comment in self.client.tickets.comments(ticket=int(key)):
                author = getattr(comment, "author", None)
                name = getattr(author, "name", None) if author is not None else None
                result.append(
                    RemoteComment(
                        remote_id=str(comment.id),
                        author=name or f"Zendesk user {comment.author_id}",
                        body=str(comment.body or ""),
                        public=bool(comment.public),
                    )
                )
        return result

    def add_comment(self, key: str, body: str) -> str:
        with self.classified():
            ticket = self.client.tickets(id=int(key))
            ticket.comment = Comment(body=body, public=False)
            audit = self.client.tickets.update(ticket)
        events = getattr(getattr(audit, "audit", None), "events", None) or []
        for event in events:
            if (event.get("type") if isinstance(event, dict) else getattr(event, "type", "")) == "Comment":
                return str(event["id"] if isinstance(event, dict) else event.id)
        return ""
