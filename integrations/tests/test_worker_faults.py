"""Fault tests with real Celery workers on committed rows: 5xx, the tracker down for a while, a killed worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
from django.conf import settings
from django_tenants.utils import schema_context

from conftest import LOOPBACK_FAKES, worker_database_url
from helpdesk.celery import app
from integrations.models import ExternalRef, IntegrationSyncLog, OutboxItem, WorkStatus


@pytest.fixture
def db(committed):
    """Committed rows (the worker must see them), under the name the shared fixtures ask for."""
    return


def wait_for(check: Callable[[], object], timeout: float = 40.0, what: str = "condition") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with schema_context("acme"):
            value = check()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def test_server_errors_then_success_make_one_issue(db, celery_worker, jira, fake_jira, ticket, acme_api):
    fake_jira.fail(2, status=500, method="POST", path="/issue$")

    response = acme_api.post(
        f"/api/v1/tickets/{ticket.number}/escalate", {"system": "jira"}, content_type="application/json"
    )

    assert response.status_code == 202
    ref = wait_for(lambda: ExternalRef.objects.filter(ticket_id=ticket.pk).first(), what="the link")
    assert len(fake_jira.labelled(f"helpdesk-acme-{ticket.number}")) == 1
    with schema_context("acme"):
        item = OutboxItem.objects.get(pk=response.json()["id"])
        assert item.status == WorkStatus.DONE and item.attempts == 3
        assert list(
            IntegrationSyncLog.objects.filter(ticket_id=ticket.pk, operation="create").values_list("outcome", flat=True)
        ) == ["ok", "retry", "retry"]
    assert ref.key == "SUP-1"  # type: ignore[attr-defined]


def test_the_tracker_down_for_a_while_loses_nothing(db, celery_worker, zendesk, fake_zendesk, make_ticket, agent):
    from integrations import services

    fake_zendesk.down()
    with schema_context("acme"):
        tickets = [make_ticket(f"Outage {n}") for n in range(3)]
        for ticket in tickets:
            services.ticket_escalate(ticket=ticket, system="zendesk", by=agent)

    wait_for(
        lambda: OutboxItem.objects.filter(attempts__gte=2, status=WorkStatus.PENDING).count() == 3,
        what="retries while down",
    )
    fake_zendesk.up()

    wait_for(lambda: ExternalRef.objects.count() == 3, what="all three linked")
    assert len(fake_zendesk.tickets) == 3
    with schema_context("acme"):
        assert not OutboxItem.objects.exclude(status=WorkStatus.DONE).exists()


def start_worker(extra_env: dict[str, str]) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings_test",
        "OUTBOUND_ALLOWED_NETWORKS": LOOPBACK_FAKES,
        **extra_env,
    }
    name = f"kill-{uuid.uuid4().hex[:8]}@%h"
    cmd = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "helpdesk",
        "worker",
        "--pool=solo",
        "-n",
        name,
        "--loglevel=WARNING",
        "--without-gossip",
        "--without-mingle",
    ]
    proc = subprocess.Popen(cmd, env=env, cwd=settings.BASE_DIR)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"worker exited with {proc.returncode}")
        replies = app.control.ping(timeout=0.5) or []
        if any(name.split("@")[0] in key for reply in replies for key in reply):
            return proc
    proc.kill()
    pytest.fail("worker did not start")


@pytest.fixture
def own_workers() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Workers of this test alone: any other worker stops taking tasks meanwhile."""
    app.control.cancel_consumer("celery", reply=True, timeout=2)
    workers: list[subprocess.Popen[bytes]] = []
    yield workers
    for proc in workers:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
    app.control.add_consumer("celery", reply=True, timeout=2)


def test_a_worker_killed_between_the_remote_create_and_the_commit_makes_no_duplicate(
    db, own_workers, jira, fake_jira, ticket, agent
):
    from integrations import services
    from integrations.tasks import sweep_all_tenants

    env = {"INTEGRATIONS_LEASE_SECONDS": "2", "OUTBOUND_DEADLINE_SECONDS": "0.6"}  # 3 calls of 0.6 s fit
    first = start_worker(env)
    own_workers.append(first)
    killed: list[int] = []

    def kill_after_create(request: object) -> None:
        # The issue exists in Jira; the worker is about to link it and commit. It dies here.
        if not killed:
            killed.append(first.pid)
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=10)

    fake_jira.on("POST", "/remotelink$", kill_after_create)
    with schema_context("acme"):
        item = services.ticket_escalate(ticket=ticket, system="jira", by=agent)

    wait_for(lambda: killed, what="the kill")
    assert len(fake_jira.issues) == 1
    with schema_context("acme"):
        stuck = OutboxItem.objects.get(pk=item.pk)
        assert stuck.status == WorkStatus.RUNNING and not ExternalRef.objects.exists()

    own_workers.append(start_worker(env))
    time.sleep(2.2)  # the dead worker's lease runs out
    sweep_all_tenants.delay()

    ref = wait_for(lambda: ExternalRef.objects.filter(ticket_id=ticket.pk).first(), what="the link after the restart")
    assert len(fake_jira.issues) == 1 and len(fake_jira.labelled(f"helpdesk-acme-{ticket.number}")) == 1
    [issue] = fake_jira.issues.values()
    assert ref.key == issue["key"] and len(issue["remotelinks"]) == 1  # type: ignore[attr-defined]
    with schema_context("acme"):
        done = OutboxItem.objects.get(pk=item.pk)
        assert done.status == WorkStatus.DONE and done.attempts == 2
        assert IntegrationSyncLog.objects.get(ticket_id=ticket.pk, operation="create").request["found_existing"] is True
