"""Connections to the trackers: create or change one (secrets encrypted, per-system checks), Test connection.

"Test connection" is the one call to another system made inside a request: a deliberate, bounded
call that a manager asks for and waits on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk import crypto
from integrations import metrics
from integrations.base import TransportError
from integrations.models import (
    Connection,
    Direction,
    IntegrationSyncLog,
    Outcome,
    instance_of,
)
from integrations.registry import system as system_spec
from integrations.registry import systems, transport_for
from tickets.models import Priority, Status

UNSET: Any = object()


def _clean_url(url: str) -> str:
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValidationError({"base_url": _("Enter the tracker's address, e.g. https://acme.atlassian.net.")})
    return url


def reentry_errors(
    *, conn: Connection, base_url: str, username: str, token: str, webhook_secret: str
) -> dict[str, str]:
    """What must be typed again because the address or the account changed.

    Stored secrets belong to the site and account they were given for: sending the token to a
    new address would hand it to whoever runs that address. An empty token or secret keeps the
    stored one only while both stay the same.
    """
    if conn.pk is None:
        return {}
    moved = instance_of(base_url) != conn.instance
    renamed = username.strip().lower() != conn.username.strip().lower()
    if not (moved or renamed):
        return {}
    errors = {}
    if conn.token_encrypted and not token.strip():
        errors["token"] = (
            _("The address changed: enter the API token again (the stored one is never sent to a new address).")
            if moved
            else _("The account changed: enter the API token again (the stored one is never sent to a new account).")
        )
    if conn.webhook_secret_encrypted and not webhook_secret.strip():
        errors["webhook_secret"] = (
            _("The address changed: enter the webhook secret again, or a new one (the stored one is not kept).")
            if moved
            else _("The account changed: enter the webhook secret again, or a new one (the stored one is not kept).")
        )
    return errors


@transaction.atomic
def connection_save(
    *,
    system: str,
    base_url: str,
    username: str,
    token: str = "",
    webhook_secret: str = UNSET,
    project_key: str = UNSET,
    issue_type: str = UNSET,
    group_id: int | None = UNSET,
    priority_map: dict[str, str] = UNSET,
    send_tags: bool = UNSET,
    category_field: str = UNSET,
    resolved_status: str = UNSET,
    enabled: bool = UNSET,
) -> Connection:
    """Create or change the tenant's connection to ``system``.

    An empty token or webhook secret keeps the stored one, unless the address or the account
    changes: then both must be given again.
    """
    keys = [spec.key for spec in systems()]
    if system not in keys:
        raise ValidationError(
            {"system": _("Unknown system %(system)r (choose %(keys)s).") % {"system": system, "keys": ", ".join(keys)}}
        )
    spec = system_spec(system)
    conn = Connection.objects.select_for_update().filter(system=system).first() or Connection(system=system)
    errors: dict[str, str] = reentry_errors(
        conn=conn,
        base_url=base_url,
        username=username,
        token=token,
        webhook_secret="" if webhook_secret is UNSET else webhook_secret,
    )
    try:
        conn.base_url = _clean_url(base_url)
    except ValidationError as exc:
        errors.update({k: " ".join(v) for k, v in exc.message_dict.items()})
    conn.username = username.strip()
    if not conn.username:
        errors["username"] = _("The account's email address is required.")
    if token.strip():
        conn.token_encrypted = crypto.encrypt(token.strip())
    elif not conn.token_encrypted:
        errors["token"] = _("An API token is required.")
    if webhook_secret is not UNSET and webhook_secret.strip():
        conn.webhook_secret_encrypted = crypto.encrypt(webhook_secret.strip())
    if project_key is not UNSET:
        conn.project_key = project_key.strip().upper()
    if issue_type is not UNSET:
        conn.issue_type = issue_type.strip() or "Task"
    if group_id is not UNSET:
        conn.group_id = group_id
    errors.update(spec.validate(conn))
    if priority_map is not UNSET:
        unknown = set(priority_map) - set(Priority.values)
        if unknown:
            errors["priority_map"] = _("Unknown priorities: %(names)s.") % {"names": ", ".join(sorted(unknown))}
        conn.priority_map = {k: str(v).strip() for k, v in priority_map.items() if str(v).strip()}
    elif not conn.priority_map:
        conn.priority_map = dict(spec.priority_map)
    if send_tags is not UNSET:
        conn.send_tags = send_tags
    if category_field is not UNSET:
        conn.category_field = category_field.strip()
    if resolved_status is not UNSET:
        if resolved_status not in Status.values:
            errors["resolved_status"] = _("Unknown status %(status)r.") % {"status": resolved_status}
        conn.resolved_status = resolved_status
    if enabled is not UNSET:
        conn.enabled = enabled
    if errors:
        raise ValidationError(errors)
    conn.save()
    return conn


@dataclass(frozen=True)
class TestResult:
    ok: bool
    message: str
    duration_ms: float


def connection_test(*, connection: Connection) -> TestResult:
    """Call the tracker's API with the stored credentials and say what was found."""
    started = time.perf_counter()
    try:
        message = transport_for(connection).test()
        ok, error = True, None
    except TransportError as exc:
        ok, error = False, exc
        message = exc.reason
    seconds = time.perf_counter() - started
    now = timezone.now()
    fields: dict[str, Any] = {"last_test_at": now, "last_test_ok": ok, "last_test_result": message[:2000]}
    fields.update(
        {"last_success_at": now, "server_info": connection.server_info}
        if ok
        else {"last_failure_at": now, "last_error": message[:2000]}
    )
    Connection.objects.filter(pk=connection.pk).update(**fields)
    for name, value in fields.items():
        setattr(connection, name, value)
    IntegrationSyncLog.objects.create(
        system=connection.system,
        connection=connection,
        direction=Direction.OUTBOUND,
        operation="test",
        outcome=Outcome.OK if ok else Outcome.FAILED,
        status_code=error.status_code if error else None,
        duration_ms=seconds * 1000,
        error="" if ok else message,
    )
    metrics.sync_observe(
        system=connection.system, direction="outbound", status="ok" if ok else "failed", seconds=seconds
    )
    return TestResult(ok=ok, message=message, duration_ms=seconds * 1000)
