"""Escalation through the outbox against the local fakes, run in this process: create, link, retry, fail."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from integrations import services
from integrations.models import ExternalRef, IntegrationSyncLog, OutboxItem, WorkStatus
from integrations.services.outbox import outbox_process, outbox_retry
from tickets.models import ReplyKind


def run_due(item: OutboxItem) -> str:
    """Make a waiting row due now and run it (what the worker does when its countdown ends)."""
    OutboxItem.objects.filter(pk=item.pk, status=WorkStatus.PENDING).update(next_attempt_at=timezone.now())
    return outbox_process(item_id=item.pk)


def test_escalation_creates_one_linked_jira_issue_with_the_ticket_in_it(jira, fake_jira, ticket, agent):
    item = services.ticket_escalate(ticket=ticket, system="jira", by=agent, reasons="customer is blocked")

    assert outbox_process(item_id=item.pk) == "ok"

    [issue] = fake_jira.issues.values()
    fields = issue["fields"]
    assert fields["summary"] == f"[#{ticket.number}] Export to CSV crashes"
    assert "error 500" in fields["description"] and "customer is blocked" in fields["description"]
    assert f"/tickets/{ticket.number}/" in fields["description"]
    assert fields["priority"] == {"name": "High"}
    assert set(fields["labels"]) == {f"helpdesk-acme-{ticket.number}", "export", "vip-customer"}
    [link] = issue["remotelinks"]
    assert link["globalId"] == f"helpdesk:acme:ticket:{ticket.number}"
    assert link["object"]["url"].endswith(f"/tickets/{ticket.number}/")
    ref = ExternalRef.objects.get(ticket=ticket)
    assert (ref.key, ref.url) == (issue["key"], f"{fake_jira.url}/browse/{issue['key']}")
    item.refresh_from_db()
    assert item.status == WorkStatus.DONE and item.attempts == 1
    log = IntegrationSyncLog.objects.get(ticket=ticket, operation="create")
    assert log.outcome == "ok" and log.duration_ms > 0 and log.request["key"] == issue["key"]
    note = ticket.replies.get(kind=ReplyKind.INTERNAL_NOTE)
    assert issue["key"] in note.body
    # The same message delivered twice does nothing the second time.
    assert outbox_process(item_id=item.pk) == "skipped"
    assert len(fake_jira.issues) == 1


def test_a_ticket_is_escalated_once_per_tracker(jira, ticket, agent):
    services.ticket_escalate(ticket=ticket, system="jira", by=agent)
    with pytest.raises(ValidationError, match="already being escalated"):
        services.ticket_escalate(ticket=ticket, system="jira", by=agent)
    with pytest.raises(ValidationError, match="Zendesk is not connected"):
        services.ticket_escalate(ticket=ticket, system="zendesk", by=agent)


def test_server_errors_are_retried_with_backoff_and_then_succeed(jira, fake_jira, ticket, agent, settings):
    settings.INTEGRATIONS_RETRY_BASE_SECONDS = 60
    item = services.ticket_escalate(ticket=ticket, system="jira", by=agent)
    fake_jira.fail(2, status=503, method="POST", path="/issue$")

    assert outbox_process(item_id=item.pk) == "retry"
    item.refresh_from_db()
    assert item.status == WorkStatus.PENDING and item.last_status_code == 503 and item.next_attempt_at > timezone.now()
    assert outbox_process(item_id=item.pk) == "skipped"  # not due yet
    assert run_due(item) == "retry"
    assert run_due(item) == "ok"
    assert len(fake_jira.issues) == 1
    assert list(IntegrationSyncLog.objects.filter(ticket=ticket).values_list("outcome", flat=True)) == [
        "ok",
        "retry",
        "retry",
    ]


def test_429_waits_at_least_retry_after(jira, fake_jira, ticket, agent):
    item = services.ticket_escalate(ticket=ticket, system="jira", by=agent)
    fake_jira.throttle(1, retry_after=30)
    before = timezone.now()

    assert outbox_process(item_id=item.pk) == "retry"

    item.refresh_from_db()
    assert item.next_attempt_at >= before + timedelta(seconds=30)
    assert "429" in item.last_error


def test_a_timeout_whose_create_landed_is_retried_without_a_duplicate(zendesk, fake_zendesk, ticket, agent):
    """The response is lost (the client gave up) but Zendesk made the ticket: the retry finds it."""
    item = services.ticket_escalate(ticket=ticket, system="zendesk", by=agent)
    fake_zendesk.slow(1, seconds=3, method="POST", path="/tickets.json$")

    assert outbox_process(item_id=item.pk) == "retry"
    assert "did not answer" in OutboxItem.objects.get(pk=item.pk).last_error
    deadline = time.monotonic() + 5
    while not fake_zendesk.tickets and time.monotonic() < deadline:
        time.sleep(0.05)  # Zendesk finishes the create after the client gave up
    assert run_due(item) == "found"

    [remote] = fake_zendesk.tickets.values()
    assert remote["external_id"] == f"helpdesk-acme-{ticket.number}"
    assert remote["priority"] == "high" and remote["group_id"] == 360001
    assert ExternalRef.objects.get(ticket=ticket).key == str(remote["id"])


def test_zendesk_answers_a_repeated_idempotency_key_with_the_first_ticket(zendesk, fake_zendesk, ticket, agent):
    from integrations.registry import transport_for
    from integrations.services.outbox import escalation_request

    item = services.ticket_escalate(ticket=ticket, system="zendesk", by=agent)
    transport, request = transport_for(zendesk), escalation_request(item)
    first, second = transport.create(request), transport.create(request)
    assert first.key == second.key and len(fake_zendesk.tickets) == 1


def test_a_lost_remote_link_is_retried_onto_the_same_issue(jira, fake_jira, ticket, agent):
    item = services.ticket_escalate(ticket=ticket, system="jira", by=agent)
    fake_jira.fail(1, status=502, method="POST", path="/remotelink$")

    assert outbox_process(item_id=item.pk) == "retry"
    assert len(fake_jira.issues) == 1
    assert run_due(item) == "found"
    [issue] = fake_jira.issues.values()
    assert len(issue["remotelinks"]) == 1 and len(fake_jira.issues) == 1


def test_a_4xx_fails_at_once_with_the_reason_and_retry_runs_it_again(jira, fake_jira, ticket, agent, agent_client):
    jira.project_key = "NOPE"
    jira.save(update_fields=["project_key"])
    item = services.ticket_escalate(ticket=ticket, system="jira", by=agent)

    assert outbox_process(item_id=item.pk) == "failed"

    item.refresh_from_db()
    assert item.status == WorkStatus.FAILED and item.attempts == 1 and item.last_status_code == 400
    assert "valid project is required" in item.last_error
    panel = agent_client.get(f"/integrations/tickets/{ticket.number}/panel/").content.decode()
    assert "valid project is required" in panel and "Retry" in panel

    jira.project_key = fake_jira.project
    jira.save(update_fields=["project_key"])
    assert outbox_retry(item=item)
    assert outbox_process(item_id=item.pk) == "ok"
    assert ExternalRef.objects.filter(ticket=ticket).count() == 1


def test_attempts_are_bounded(jira, fake_jira, ticket, agent, settings):
    settings.INTEGRATIONS_MAX_ATTEMPTS = 3
    item = services.ticket_escalate(ticket=ticket, system="jira", by=agent)
    fake_jira.fail(10, status=500)

    results = [run_due(item) for _ in range(4)]

    assert results == ["retry", "retry", "failed", "skipped"]
    assert OutboxItem.objects.get(pk=item.pk).status == WorkStatus.FAILED
    assert fake_jira.issues == {}


def test_an_agents_reply_goes_to_the_linked_issue_once_and_never_comes_back(jira, fake_jira, ticket, agent):
    from integrations.services.backsync import pull_connection
    from tickets.services import reply_add

    outbox_process(item_id=services.ticket_escalate(ticket=ticket, system="jira", by=agent).pk)
    reply = reply_add(ticket=ticket, body="Customer confirms it also fails with 5k rows.", by=agent)
    comment_item = OutboxItem.objects.get(ticket=ticket, action="comment")
    fake_jira.fail(1, status=500, method="POST", path="/comment$")
    assert outbox_process(item_id=comment_item.pk) == "retry"
    assert run_due(comment_item) == "ok"

    [issue] = fake_jira.issues.values()
    [sent] = issue["fields"]["comment"]["comments"]
    assert "also fails with 5k rows" in sent["body"] and f"reply:{reply.pk}]" in sent["body"]
    notes_before = ticket.replies.filter(kind=ReplyKind.INTERNAL_NOTE).count()
    pull_connection(connection=jira)
    assert ticket.replies.filter(kind=ReplyKind.INTERNAL_NOTE).count() == notes_before  # no echo
