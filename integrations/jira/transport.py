"""Jira through the `jira` client (REST API v2): issues, remote links, comments, JQL search.

The client's own retries are off (``max_retries=0``): the outbox decides when to try again,
with backoff that honours ``Retry-After``. Its HTTP session goes through ``integrations.http``,
and every method is one call that ends by the outbound deadline.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import requests
from django.conf import settings
from django.utils.translation import gettext as _
from jira import JIRA, JIRAError

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

LABEL_UNSAFE = re.compile(r"[^\w.-]+")


def jira_label(value: str) -> str:
    """Jira labels take no spaces; keep them readable."""
    return LABEL_UNSAFE.sub("-", value.strip()).strip("-")[:255]


def _reason(exc: JIRAError) -> str:
    text = (exc.text or "").strip()
    response = exc.response
    if response is not None and not text:
        text = (response.text or "")[:300]
    return text or "no details"


@contextmanager
def classified() -> Iterator[None]:
    """One Jira call: it ends by the outbound deadline, and the client's and requests' exceptions
    become ``TransportError`` (permanent or not)."""
    try:
        with http.tracker_call():
            yield
    except http.OutboundBlocked as exc:
        raise TransportError(f"Jira: {exc.reason}", permanent=True) from exc
    except JIRAError as exc:
        status = exc.status_code or 0
        response = exc.response
        retry_after = parse_retry_after(response.headers.get("Retry-After")) if response is not None else None
        if not status:
            raise TransportError(f"Jira: {_reason(exc)}", permanent=False) from exc
        raise error_for_status(status, f"Jira: {_reason(exc)}", retry_after) from exc
    except requests.RequestException as exc:
        raise http.request_error("Jira", exc) from exc


def _issue(server: str, raw: dict[str, Any]) -> RemoteIssue:
    fields = raw.get("fields") or {}
    status = fields.get("status") or {}
    category = (status.get("statusCategory") or {}).get("key", "")
    resolved = category == "done" or bool(fields.get("resolution"))
    return RemoteIssue(
        key=raw["key"],
        remote_id=str(raw.get("id", "")),
        url=f"{server.rstrip('/')}/browse/{raw['key']}",
        status=str(status.get("name", "")),
        resolved=resolved,
    )


@lru_cache(maxsize=64)
def _client(server: str, username: str, token_encrypted: str) -> JIRA:
    """One client per credentials and process: its session keeps connections and the field list."""
    client = JIRA(
        server=server,
        basic_auth=(username, crypto.decrypt(token_encrypted)),
        get_server_info=False,
        max_retries=0,
        timeout=settings.INTEGRATIONS_TIMEOUT_SECONDS,
        options={"check_update": False},
    )
    http.guard(client._session)
    return client


class JiraTransport:
    system = "jira"

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.server = connection.base_url.rstrip("/")
        with classified():
            self.client = _client(self.server, connection.username, connection.token_encrypted)
        # Cloud searches with /search/jql, Server and Data Center with /search (known from "Test connection").
        self.client.deploymentType = connection.server_info.get("deploymentType")

    def test(self) -> str:
        with classified():
            info = self.client.server_info()
            me = self.client.myself()
            self.connection.server_info = {
                "deploymentType": info.get("deploymentType"),
                "version": info.get("version"),
                "serverTitle": info.get("serverTitle"),
            }
            self.client.deploymentType = info.get("deploymentType")
            title = info.get("serverTitle") or "Jira"
            found = f"{title} {info.get('version', '')} ({info.get('deploymentType', 'Server')})"
            who = me.get("displayName") or me.get("emailAddress") or self.connection.username
            parts = [_("Connected to %(found)s as %(who)s.") % {"found": found, "who": who}]
            if self.connection.project_key:
                project = self.client.project(self.connection.project_key)
                parts.append(_("Project %(key)s (%(name)s) found.") % {"key": project.key, "name": project.name})
        return " ".join(parts)

    def find(self, marker: str) -> RemoteIssue | None:
        jql = f'labels = "{marker}" ORDER BY created ASC'
        with classified():
            result = self.client.search_issues(jql, maxResults=5, fields=["status", "resolution"], json_result=True)
        issues = result.get("issues") or [] if isinstance(result, dict) else []
        return _issue(self.server, issues[0]) if issues else None

    def create(self, request: EscalationRequest) -> RemoteIssue:
        fields: dict[str, Any] = {
            "project": {"key": self.connection.project_key},
            "issuetype": {"name": self.connection.issue_type or "Task"},
            "summary": request.summary,
            "description": request.description,
            "labels": [jira_label(label) for label in [request.marker, *request.labels] if jira_label(label)],
        }
        if request.priority:
            fields["priority"] = {"name": request.priority}
        target = self.connection.category_field
        if request.category and target == "label":
            fields["labels"].append(jira_label(request.category))
        elif request.category and target:
            fields[target] = request.category
        with classified():
            issue = self.client.create_issue(fields=fields, prefetch=False)
        return RemoteIssue(key=issue.key, remote_id=str(issue.id), url=f"{self.server}/browse/{issue.key}")

    def ensure_link(self, issue: RemoteIssue, request: EscalationRequest) -> None:
        # Jira creates or updates a remote link by its globalId: repeating this never makes a second one.
        with classified():
            self.client.add_remote_link(
                issue.key,
                destination={"url": request.ticket_url, "title": request.ticket_title},
                globalId=request.global_id,
                application={"type": "helpdesk", "name": "Helpdesk"},
                relationship="escalated from",
            )

    def get(self, key: str) -> RemoteIssue:
        with classified():
            issue = self.client.issue(key, fields="status,resolution")
        return _issue(self.server, issue.raw)

    def comments(self, key: str) -> list[RemoteComment]:
        with classified():
            items = self.client.comments(key)
        result = []
        for item in items:
            raw = item.raw
            author = (raw.get("author") or {}).get("displayName") or "Jira user"
            result.append(
                RemoteComment(
                    remote_id=str(raw["id"]),
                    author=author,
                    body=str(raw.get("body") or ""),
                    public=raw.get("jsdPublic", True) is not False,
                )
            )
        return result

    def add_comment(self, key: str, body: str) -> str:
        with classified():
            comment = self.client.add_comment(key, body)
        return str(comment.id)
