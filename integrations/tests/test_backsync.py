"""What comes back: signed webhooks from Jira and Zendesk, replays, bad signatures, and the pull fallback."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from integrations import services
from integrations.conftest import JIRA_SECRET, ZENDESK_SECRET
from integrations.models import ExternalRef, IntegrationSyncLog
from integrations.services.backsync import pull_connection
from integrations.services.outbox import outbox_process
from tickets.models import ReplyKind, Ticket


@pytest.fixture
def linked(jira, fake_jira, ticket, agent) -> tuple[Ticket, str]:
    outbox_process(item_id=services.ticket_escalate(ticket=ticket, system="jira", by=agent).pk)
    return ticket, ExternalRef.objects.get(ticket=ticket).key


def jira_post(client, payload: dict, *, secret: str = JIRA_SECRET, delivery: str = "d-1"):
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        "/integrations/jira/webhook",
        data=body,
        content_type="application/json",
        headers={"X-Hub-Signature": signature, "X-Atlassian-Webhook-Identifier": delivery},
    )


def resolved_issue(key: str) -> dict:
    status = {"name": "Done", "statusCategory": {"key": "done"}}
    return {"key": key, "fields": {"status": status, "resolution": {"name": "Done"}}}


def notes(ticket: Ticket) -> list[str]:
    return list(ticket.replies.filter(kind=ReplyKind.INTERNAL_NOTE).values_list("body", flat=True))


def test_jira_resolving_the_issue_solves_the_ticket_with_a_note(linked, acme_client):
    ticket, key = linked
    response = jira_post(acme_client, {"webhookEvent": "jira:issue_updated", "issue": resolved_issue(key)})

    assert response.status_code == 200, response.content
    ticket.refresh_from_db()
    assert ticket.status == "solved"
    assert any(f"{key} was resolved in Jira (Done)" in body for body in notes(ticket))
    ref = ExternalRef.objects.get(ticket=ticket)
    assert ref.remote_status == "Done" and ref.remote_resolved
    assert ticket.events.filter(field="status", new_value="solved", actor_name="Jira integration").exists()


def test_a_replayed_delivery_is_ignored(linked, acme_client):
    ticket, key = linked
    comment = {"id": "7001", "body": "Fixed in 4.2.1", "author": {"displayName": "Dana Developer"}}
    payload = {"webhookEvent": "comment_created", "comment": comment, "issue": {"key": key}}

    assert jira_post(acme_client, payload, delivery="same").status_code == 200
    again = jira_post(acme_client, payload, delivery="same")

    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert [body for body in notes(ticket) if "Fixed in 4.2.1" in body] == [
        f"Dana Developer commented on {key} in Jira:\n\nFixed in 4.2.1"
    ]
    # Even a new delivery of the same comment adds nothing.
    jira_post(acme_client, payload, delivery="other")
    assert len([body for body in notes(ticket) if "Fixed in 4.2.1" in body]) == 1


def test_an_invalid_signature_is_refused_and_changes_nothing(linked, acme_client):
    ticket, key = linked
    before = notes(ticket)

    response = jira_post(
        acme_client, {"webhookEvent": "jira:issue_updated", "issue": resolved_issue(key)}, secret="wrong"
    )
    unsigned = acme_client.post("/integrations/jira/webhook", data=b"{}", content_type="application/json")

    assert response.status_code == 401 and unsigned.status_code == 401
    ticket.refresh_from_db()
    assert ticket.status != "solved" and notes(ticket) == before
    # Anyone can post here: refused calls leave no sync-log row to fill the monitor with.
    assert not IntegrationSyncLog.objects.filter(operation="webhook").exists()


def reopened_issue(key: str) -> dict:
    return {"key": key, "fields": {"status": {"name": "To Do", "statusCategory": {"key": "new"}}, "resolution": None}}


def now_ms(offset_seconds: float = 0) -> int:
    return int((datetime.now(UTC).timestamp() + offset_seconds) * 1000)


def test_a_captured_delivery_replayed_with_a_new_delivery_id_is_ignored(linked, acme_client):
    ticket, key = linked
    resolved = {"timestamp": now_ms(), "webhookEvent": "jira:issue_updated", "issue": resolved_issue(key)}
    reopened = {"timestamp": now_ms(), "webhookEvent": "jira:issue_updated", "issue": reopened_issue(key)}
    assert jira_post(acme_client, resolved, delivery="d-1").status_code == 200
    assert jira_post(acme_client, reopened, delivery="d-2").status_code == 200
    ticket.refresh_from_db()
    assert ticket.status == "solved" and ExternalRef.objects.get(ticket=ticket).remote_resolved is False

    # The delivery id header is not signed: the same signed body under another id is still a replay.
    replay = jira_post(acme_client, resolved, delivery="d-3")

    assert replay.status_code == 200 and replay.json()["status"] == "duplicate"
    assert ExternalRef.objects.get(ticket=ticket).remote_resolved is False
    assert len([b for b in notes(ticket) if "was resolved in Jira" in b]) == 1


def test_a_signed_jira_body_older_than_the_window_is_refused(linked, acme_client, settings):
    ticket, key = linked
    settings.INTEGRATIONS_WEBHOOK_MAX_AGE_SECONDS = 300
    event = {"webhookEvent": "jira:issue_updated", "issue": resolved_issue(key)}

    old = jira_post(acme_client, {"timestamp": now_ms(-3600), **event})
    future = jira_post(acme_client, {"timestamp": now_ms(3600), **event})
    garbled = jira_post(acme_client, {"timestamp": "yesterday", **event})

    assert (old.status_code, future.status_code, garbled.status_code) == (401, 401, 401)
    ticket.refresh_from_db()
    assert ticket.status != "solved"
    assert not IntegrationSyncLog.objects.filter(operation="webhook").exists()
    assert jira_post(acme_client, {"timestamp": now_ms(-60), **event}).status_code == 200


def test_the_webhook_url_is_rate_limited_per_connection_and_open_without_redis(linked, zendesk, acme_client, settings):
    from django.core.cache import cache

    ticket, key = linked
    cache.clear()
    settings.INTEGRATIONS_WEBHOOK_RATE = "3/d"
    unsigned = [
        acme_client.post("/integrations/jira/webhook", data=b"{}", content_type="application/json").status_code
        for _ in range(3)
    ]
    limited = jira_post(acme_client, {"webhookEvent": "jira:issue_updated", "issue": resolved_issue(key)})

    assert unsigned == [401, 401, 401]
    assert limited.status_code == 429 and limited["Retry-After"] == "60"
    ticket.refresh_from_db()
    assert ticket.status != "solved"
    assert not IntegrationSyncLog.objects.filter(operation="webhook").exists()
    # Another connection (Zendesk of the same tenant) has its own count.
    payload = {"type": "zen:event-type:ticket.status_changed", "detail": {"id": "1"}, "event": {"current": "open"}}
    assert zendesk_post(acme_client, payload).status_code == 202

    # With the cache's Redis gone, the limit fails open: Jira's deliveries still arrive.
    dead = {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:9/1"}
    settings.CACHES = {**settings.CACHES, "default": dead}
    accepted = jira_post(acme_client, {"webhookEvent": "jira:issue_updated", "issue": resolved_issue(key)})
    assert accepted.status_code == 200, accepted.content
    ticket.refresh_from_db()
    assert ticket.status == "solved"


def test_our_own_comment_coming_back_is_not_a_new_note(linked, acme_client, agent):
    ticket, key = linked
    body = f"Alice wrote on helpdesk ticket #{ticket.number}:\n\nhello\n\n[helpdesk:acme:reply:99]"
    payload = {"webhookEvent": "comment_created", "comment": {"id": "8001", "body": body}, "issue": {"key": key}}
    before = notes(ticket)

    assert jira_post(acme_client, payload).status_code == 200
    assert notes(ticket) == before


def test_an_issue_that_is_not_linked_is_accepted_and_ignored(linked, acme_client):
    response = jira_post(acme_client, {"webhookEvent": "jira:issue_updated", "issue": resolved_issue("OTHER-1")})
    assert response.status_code == 202 and "not linked" in response.json()["detail"]


def test_a_tenant_without_jira_answers_404(globex, outsider_client):
    assert (
        outsider_client.post("/integrations/jira/webhook", data=b"{}", content_type="application/json").status_code
        == 404
    )


def zendesk_post(
    client, payload: dict, *, secret: str = ZENDESK_SECRET, timestamp: str | None = None, delivery: str = "z-1"
):
    body = json.dumps(payload).encode()
    timestamp = timestamp or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    signature = base64.b64encode(hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()).decode()
    headers = {
        "X-Zendesk-Webhook-Signature": signature,
        "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
        "X-Zendesk-Webhook-Invocation-Id": delivery,
    }
    return client.post("/integrations/zendesk/webhook", data=body, content_type="application/json", headers=headers)


def test_zendesk_status_and_public_comments_come_back_private_ones_do_not(
    zendesk, fake_zendesk, ticket, agent, acme_client
):
    outbox_process(item_id=services.ticket_escalate(ticket=ticket, system="zendesk", by=agent).pk)
    key = ExternalRef.objects.get(ticket=ticket).key
    detail = {"id": key}
    public = {"comment": {"id": 1, "body": "We shipped a fix", "is_public": True, "author": {"name": "Zoe"}}}
    private = {"comment": {"id": 2, "body": "internal chatter", "is_public": False, "author": {"name": "Zoe"}}}

    assert (
        zendesk_post(
            acme_client,
            {"type": "zen:event-type:ticket.comment_added", "detail": detail, "event": public},
            delivery="a",
        ).status_code
        == 200
    )
    assert (
        zendesk_post(
            acme_client,
            {"type": "zen:event-type:ticket.comment_added", "detail": detail, "event": private},
            delivery="b",
        ).status_code
        == 200
    )
    solved = {
        "type": "zen:event-type:ticket.status_changed",
        "detail": detail,
        "event": {"previous": "open", "current": "solved"},
    }
    assert zendesk_post(acme_client, solved, delivery="c").status_code == 200

    ticket.refresh_from_db()
    assert ticket.status == "solved"
    bodies = notes(ticket)
    assert any("We shipped a fix" in b for b in bodies) and not any("internal chatter" in b for b in bodies)


def test_zendesk_signatures_are_checked_over_timestamp_and_body_and_expire(zendesk, ticket, acme_client):
    payload = {"type": "zen:event-type:ticket.status_changed", "detail": {"id": "1"}, "event": {"current": "solved"}}
    old = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")

    assert zendesk_post(acme_client, payload, secret="wrong").status_code == 401
    assert zendesk_post(acme_client, payload, timestamp=old).status_code == 401
    assert zendesk_post(acme_client, payload).status_code == 202  # valid, but ticket 1 is not linked


def test_the_pull_brings_status_and_comments_once(linked, fake_jira, jira):
    ticket, key = linked
    fake_jira.comment(key, "Root cause found: a timeout in the export worker.", notify=False)
    fake_jira.resolve(key, notify=False)

    first = pull_connection(connection=jira)
    second = pull_connection(connection=jira)

    assert (first.checked, first.changed, first.error) == (1, 1, "")
    assert second.changed == 0
    ticket.refresh_from_db()
    assert ticket.status == "solved"
    assert len([b for b in notes(ticket) if "Root cause found" in b]) == 1
    jira.refresh_from_db()
    assert jira.last_pull_at is not None


def test_a_pull_against_a_tracker_that_is_down_records_the_failure(linked, fake_jira, jira):
    fake_jira.down()

    summary = pull_connection(connection=jira)

    assert "unreachable" in summary.error
    jira.refresh_from_db()
    assert jira.healthy is False and "unreachable" in jira.last_error


def test_old_history_is_pruned_and_recent_kept(linked, settings):
    from datetime import timedelta

    from django.utils import timezone

    from integrations.models import InboundDelivery
    from integrations.services.backsync import history_prune

    ticket, _ = linked
    InboundDelivery.objects.create(system="jira", delivery_id="old")
    InboundDelivery.objects.filter(delivery_id="old").update(received_at=timezone.now() - timedelta(days=40))
    IntegrationSyncLog.objects.filter(ticket=ticket).update(created_at=timezone.now() - timedelta(days=40))
    kept = IntegrationSyncLog.objects.exclude(ticket=ticket).count()

    assert history_prune() >= 2
    assert not InboundDelivery.objects.filter(delivery_id="old").exists()
    assert IntegrationSyncLog.objects.count() == kept
