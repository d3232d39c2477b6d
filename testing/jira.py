"""A local fake of the Jira REST API v2 endpoints the `jira` client uses here.

serverInfo, myself, project, field, priority, issue create/get, remote links (create or
update by globalId), transitions, comments, JQL search (``labels = "x"``, both /search and the
Cloud /search/jql). Like a Jira admin webhook with a secret, it can post signed
``jira:issue_updated`` / ``comment_created`` events to a URL when an issue changes.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

import requests

from testing.fakeserver import FakeRequest, FakeServer, Response

API = r"/rest/api/(?:2|3|latest)"
STATUSES = {
    "1": {"id": "1", "name": "To Do", "statusCategory": {"key": "new", "name": "To Do"}},
    "3": {"id": "3", "name": "In Progress", "statusCategory": {"key": "indeterminate", "name": "In Progress"}},
    "10001": {"id": "10001", "name": "Done", "statusCategory": {"key": "done", "name": "Done"}},
}
TRANSITIONS = {"11": ("To Do", "1"), "21": ("In Progress", "3"), "31": ("Done", "10001")}
PRIORITIES = ["Highest", "High", "Medium", "Low", "Lowest"]


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _error(status: int, message: str, errors: dict[str, str] | None = None) -> Response:
    return status, {"errorMessages": [message] if message else [], "errors": errors or {}}, {}


class FakeJira(FakeServer):
    name = "jira"

    def __init__(
        self,
        *,
        username: str = "bot@example.test",
        token: str = "jira-token",  # noqa: S107 - the fake's own test credential
        project: str = "SUP",
        deployment: str = "Cloud",
        latency: float = 0.0,
    ) -> None:
        super().__init__(username=username, token=token, latency=latency)
        self.project, self.deployment = project, deployment
        self.issues: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(10000)
        self._numbers = itertools.count(1)
        self.webhook_url = ""
        self.webhook_host = ""
        self.webhook_secret = ""
        self.webhook_results: list[int] = []
        for method, pattern, handler in [
            ("GET", f"{API}/serverInfo", self.server_info),
            ("GET", f"{API}/myself", self.myself),
            ("GET", f"{API}/project/(?P<key>[^/]+)", self.get_project),
            ("GET", f"{API}/field", self.fields),
            ("GET", f"{API}/priority", self.priorities),
            ("POST", f"{API}/issue", self.create_issue),
            ("GET", f"{API}/issue/(?P<key>[^/]+)", self.get_issue),
            ("GET", f"{API}/issue/(?P<key>[^/]+)/remotelink", self.get_links),
            ("POST", f"{API}/issue/(?P<key>[^/]+)/remotelink", self.post_link),
            ("GET", f"{API}/issue/(?P<key>[^/]+)/transitions", self.get_transitions),
            ("POST", f"{API}/issue/(?P<key>[^/]+)/transitions", self.post_transition),
            ("GET", f"{API}/issue/(?P<key>[^/]+)/comment", self.get_comments),
            ("POST", f"{API}/issue/(?P<key>[^/]+)/comment", self.post_comment),
            ("GET", f"{API}/search(?:/jql)?", self.search),
            ("POST", f"{API}/search(?:/jql)?", self.search),
            ("GET", "/rest/applinks/latest/listApplicationlinks", lambda r: (200, [], {})),
        ]:
            self.route(method, pattern, handler)

    # --- what a person does in Jira (tests, benchmark) -------------------------------------------

    def labelled(self, label: str) -> list[dict[str, Any]]:
        with self.lock:
            return [issue for issue in self.issues.values() if label in issue["fields"]["labels"]]

    def transition(self, key: str, transition_id: str = "31", *, notify: bool = True) -> None:
        with self.lock:
            self._apply_transition(self.issues[key], transition_id)
            issue = json.loads(json.dumps(self.issues[key]))
        if notify:
            self._notify({"webhookEvent": "jira:issue_updated", "issue_event_type_name": "issue_generic"}, issue)

    def delete(self, key: str) -> None:
        """The issue is deleted (or moved out of reach): Jira answers 404 for it from now on."""
        with self.lock:
            del self.issues[key]

    def resolve(self, key: str, *, notify: bool = True) -> None:
        self.transition(key, "31", notify=notify)

    def comment(self, key: str, body: str, author: str = "Dana Developer", *, notify: bool = True) -> dict[str, Any]:
        with self.lock:
            comment = self._add_comment(self.issues[key], body, author)
            issue = json.loads(json.dumps(self.issues[key]))
        if notify:
            self._notify({"webhookEvent": "comment_created", "comment": comment}, issue)
        return comment

    def _notify(self, event: dict[str, Any], issue: dict[str, Any]) -> None:
        if not self.webhook_url:
            return
        payload = {"timestamp": int(datetime.now(UTC).timestamp() * 1000), **event, "issue": issue}
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", "X-Atlassian-Webhook-Identifier": str(uuid.uuid4())}
        if self.webhook_host:
            headers["Host"] = self.webhook_host
        if self.webhook_secret:
            digest = hmac.new(self.webhook_secret.encode(), body, hashlib.sha256).hexdigest()
            headers["X-Hub-Signature"] = f"sha256={digest}"

        def send() -> None:
            try:
                status = requests.post(self.webhook_url, data=body, headers=headers, timeout=10).status_code
            except requests.RequestException:
                status = 0
            with self.lock:
                self.webhook_results.append(status)

        threading.Thread(target=send, daemon=True).start()

    # --- REST ------------------------------------------------------------------------------------

    def server_info(self, request: FakeRequest) -> Response:
        return (
            200,
            {
                "baseUrl": self.url,
                "version": "1001.0.0-SNAPSHOT" if self.deployment == "Cloud" else "9.12.0",
                "versionNumbers": [1001, 0, 0] if self.deployment == "Cloud" else [9, 12, 0],
                "deploymentType": self.deployment,
                "serverTitle": "Fake Jira",
            },
            {},
        )

    def myself(self, request: FakeRequest) -> Response:
        return (
            200,
            {"accountId": "5b10ac8d82e05b22cc7d4ef5", "emailAddress": self.username, "displayName": "Helpdesk Bot"},
            {},
        )

    def get_project(self, request: FakeRequest) -> Response:
        assert request.match is not None
        key = request.match["key"]
        if key != self.project:
            return _error(404, f"No project could be found with key '{key}'.")
        return 200, {"id": "10000", "key": self.project, "name": "Support engineering"}, {}

    def fields(self, request: FakeRequest) -> Response:
        names = ["summary", "description", "labels", "priority", "status", "resolution", "issuetype", "project"]
        return 200, [{"id": n, "key": n, "name": n.capitalize(), "custom": False} for n in names], {}

    def priorities(self, request: FakeRequest) -> Response:
        return 200, [{"id": str(i + 1), "name": name} for i, name in enumerate(PRIORITIES)], {}

    def create_issue(self, request: FakeRequest) -> Response:
        fields = (request.json or {}).get("fields") or {}
        errors = {}
        if (fields.get("project") or {}).get("key") != self.project:
            errors["project"] = "valid project is required"
        if not str(fields.get("summary") or "").strip():
            errors["summary"] = "You must specify a summary of the issue."
        priority = (fields.get("priority") or {}).get("name")
        if priority is not None and priority not in PRIORITIES:
            errors["priority"] = f"The priority selected is invalid: {priority}"
        for label in fields.get("labels") or []:
            if " " in label:
                errors["labels"] = "The label must not contain spaces."
        if errors:
            return _error(400, "", errors)
        issue_id = str(next(self._ids))
        key = f"{self.project}-{next(self._numbers)}"
        self.issues[key] = {
            "id": issue_id,
            "key": key,
            "self": f"{self.url}/rest/api/2/issue/{issue_id}",
            "fields": {
                "summary": fields["summary"],
                "description": fields.get("description") or "",
                "labels": list(fields.get("labels") or []),
                "priority": {"name": priority or "Medium"},
                "issuetype": fields.get("issuetype") or {"name": "Task"},
                "project": {"key": self.project},
                "status": dict(STATUSES["1"]),
                "resolution": None,
                "created": _now(),
                "updated": _now(),
                "comment": {"comments": [], "total": 0},
                **{k: v for k, v in fields.items() if k.startswith("customfield_")},
            },
            "remotelinks": [],
        }
        return 201, {"id": issue_id, "key": key, "self": self.issues[key]["self"]}, {}

    def _issue(self, request: FakeRequest) -> dict[str, Any] | None:
        assert request.match is not None
        key = request.match["key"]
        return self.issues.get(key) or next((i for i in self.issues.values() if i["id"] == key), None)

    def _public(self, issue: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in issue.items() if k != "remotelinks"}

    def get_issue(self, request: FakeRequest) -> Response:
        issue = self._issue(request)
        if issue is None:
            return _error(404, "Issue does not exist or you do not have permission to see it.")
        return 200, self._public(issue), {}

    def get_links(self, request: FakeRequest) -> Response:
        issue = self._issue(request)
        if issue is None:
            return _error(404, "Issue does not exist or you do not have permission to see it.")
        return 200, issue["remotelinks"], {}

    def post_link(self, request: FakeRequest) -> Response:
        issue = self._issue(request)
        if issue is None:
            return _error(404, "Issue does not exist or you do not have permission to see it.")
        data = request.json or {}
        if not (data.get("object") or {}).get("url"):
            return _error(400, "", {"object.url": "A URL is required."})
        for link in issue["remotelinks"]:
            if data.get("globalId") and link.get("globalId") == data["globalId"]:
                link.update(data)  # create-or-update by globalId, as documented
                return 200, {"id": link["id"], "self": f"{self.url}/remotelink/{link['id']}"}, {}
        link_id = next(self._ids)
        issue["remotelinks"].append({"id": link_id, **data})
        return 201, {"id": link_id, "self": f"{self.url}/remotelink/{link_id}"}, {}

    def get_transitions(self, request: FakeRequest) -> Response:
        if self._issue(request) is None:
            return _error(404, "Issue does not exist or you do not have permission to see it.")
        items = [{"id": tid, "name": name, "to": STATUSES[sid]} for tid, (name, sid) in TRANSITIONS.items()]
        return 200, {"transitions": items}, {}

    def _apply_transition(self, issue: dict[str, Any], transition_id: str) -> None:
        _, status_id = TRANSITIONS[transition_id]
        issue["fields"]["status"] = dict(STATUSES[status_id])
        issue["fields"]["resolution"] = {"name": "Done"} if status_id == "10001" else None
        issue["fields"]["updated"] = _now()

    def post_transition(self, request: FakeRequest) -> Response:
        issue = self._issue(request)
        if issue is None:
            return _error(404, "Issue does not exist or you do not have permission to see it.")
        transition_id = str(((request.json or {}).get("transition") or {}).get("id", ""))
        if transition_id not in TRANSITIONS:
            return _error(400, f"Transition id '{transition_id}' is not valid for this issue.")
        self._apply_transition(issue, transition_id)
        return 204, None, {}

    def _add_comment(self, issue: dict[str, Any], body: str, author: str) -> dict[str, Any]:
        comment = {
            "id": str(next(self._ids)),
            "body": body,
            "author": {"displayName": author, "accountId": re.sub(r"\W", "", author.lower())},
            "created": _now(),
            "updated": _now(),
        }
        issue["fields"]["comment"]["comments"].append(comment)
        issue["fields"]["comment"]["total"] += 1
        issue["fields"]["updated"] = _now()
        return comment

    def get_comments(self, request: FakeRequest) -> Response:
        issue = self._issue(request)
        if issue is None:
            return _error(404, "Issue does not exist or you do not have permission to see it.")
        comments = issue["fields"]["comment"]["comments"]
        return 200, {"startAt": 0, "maxResults": len(comments), "total": len(comments), "comments": comments}, {}

    def post_comment(self, request: FakeRequest) -> Response:
        issue = self._issue(request)
        if issue is None:
            return _error(404, "Issue does not exist or you do not have permission to see it.")
        body = str((request.json or {}).get("body") or "")
        if not body.strip():
            return _error(400, "", {"comment": "Comment body can not be empty!"})
        return 201, self._add_comment(issue, body, "Helpdesk Bot"), {}

    def search(self, request: FakeRequest) -> Response:
        params = request.json if request.method == "POST" else {k: v[0] for k, v in request.query.items()}
        jql = str((params or {}).get("jql") or "")
        issues = list(self.issues.values())
        for label in re.findall(r'labels\s*=\s*"?([^"\s)]+)"?', jql):
            issues = [i for i in issues if label in i["fields"]["labels"]]
        issues.sort(key=lambda i: int(i["id"]))
        limit = int((params or {}).get("maxResults") or 50)
        page = [self._public(i) for i in issues[:limit]]
        if request.path.endswith("/jql"):
            return 200, {"issues": page, "isLast": True}, {}
        return 200, {"startAt": 0, "maxResults": limit, "total": len(issues), "issues": page}, {}
