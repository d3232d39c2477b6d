"""With the real Redis of the suite stopped (broker, results and cache), customers' requests are still saved.

Rate limits and throttles count in Redis: they fail open (and log it) instead of failing the
request. /health/deps names redis as failing. Redis is started again after each test.
"""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tenants.utils import tenant_context

from conftest import ACME_HOST, LOOPBACK_FAKES, login_client, make_user, worker_database_url
from helpdesk import devstack
from helpdesk.accounts.services import api_key_issue
from helpdesk.tenants.models import Tenant
from tickets.models import Channel, Ticket

SITE = "https://www.acme.example"


@contextmanager
def redis_stopped() -> Iterator[None]:
    """The suite's own Redis, stopped inside the block and started again after it."""
    port = devstack.redis_port()
    assert devstack._redis_ping(port), "the suite's Redis should be running"
    assert devstack.redis_stop(port) is True
    try:
        yield
    finally:
        devstack.redis_start(port)
        assert devstack._redis_ping(port)


@pytest.fixture
def redis_down(committed: None) -> Iterator[None]:
    """The suite's own Redis, stopped for the test and started again afterwards."""
    with redis_stopped():
        yield


@pytest.fixture
def acme_setup(committed: None) -> dict[str, object]:
    """An agent, an API key, and a widget on an assistant with a little knowledge, made while Redis is up."""
    from assistants.services import assistant_create, widget_key_create
    from knowledge.tests.conftest import index_text

    acme = Tenant.objects.get(schema_name="acme")
    agent = make_user(acme, "alice-redis@acme.test", "agent")
    with tenant_context(acme):
        raw_key = api_key_issue(name="redis-down").raw_key
        bot = assistant_create(name="Support bot", company="Acme", provider="extractive")
        widget_key = widget_key_create(assistant=bot, allowed_origins=[SITE]).key
        index_text("Shipping", "# Shipping\n\nParcels arrive in three to five business days after dispatch.")
    return {"acme": acme, "agent": agent, "api_key": raw_key, "widget_key": widget_key}


def _tickets(acme: Tenant) -> dict[str, str]:
    with tenant_context(acme):
        return dict(Ticket.objects.values_list("subject", "channel"))


def test_tickets_are_saved_through_every_channel_while_redis_is_down(acme_setup, redis_down, caplog):
    acme = acme_setup["acme"]
    caplog.set_level(logging.ERROR, logger="helpdesk.cache")

    # The agent's page.
    agent_client = login_client(acme, acme_setup["agent"], ACME_HOST)
    page = agent_client.post(
        "/tickets/new/",
        {"requester_email": "pat@customer.test", "subject": "From the page", "description": "Hi", "priority": "normal"},
    )
    assert page.status_code == 302, page.content[:500]

    # The public portal (its submit rate limit counts in Redis).
    portal = Client(HTTP_HOST=ACME_HOST).post(
        "/portal/", {"email": "sam@customer.test", "subject": "From the portal", "description": "Help"}
    )
    assert portal.status_code == 302, portal.content[:500]

    # The API (its throttle counts in Redis).
    api = Client(HTTP_HOST=ACME_HOST, headers={"Authorization": f"Api-Key {acme_setup['api_key']}"})
    created = api.post(
        "/api/v1/tickets/",
        {"subject": "From the API", "description": "Sync", "requester_email": "bot@partner.test"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content[:500]

    # The website widget: a chat (rate-limited per visitor), then the escalation to a ticket.
    def widget(path: str, payload: dict[str, object]):
        return Client(HTTP_HOST=ACME_HOST).post(
            f"/assistants/widget/{path}", json.dumps(payload), content_type="application/json", headers={"Origin": SITE}
        )

    chat = widget("chat", {"key": acme_setup["widget_key"], "message": "From the widget: where is my parcel?"})
    assert chat.status_code == 200, chat.content[:500]
    escalated = widget(
        "escalate", {"key": acme_setup["widget_key"], "session_id": chat.json()["session_id"], "email": "v@x.test"}
    )
    assert escalated.status_code == 200, escalated.content[:500]

    assert _tickets(acme) == {
        "From the page": Channel.WEB,
        "From the portal": Channel.PORTAL,
        "From the API": Channel.API,
        "From the widget: where is my parcel?": Channel.CHAT,
    }
    # Failing open is logged, not silent.
    assert any("Exception ignored" in record.getMessage() for record in caplog.records)


def test_health_deps_reports_redis_failing(acme_setup, redis_down, settings):
    settings.METRICS_TOKEN = "ops-token"
    response = Client(HTTP_HOST=ACME_HOST).get("/health/deps", headers={"Authorization": "Bearer ops-token"})
    assert response.status_code == 503
    body = response.json()
    assert body["database"]["ok"] is True
    assert body["redis"]["ok"] is False and body["redis"]["error"]
    assert body["celery"]["ok"] is False


# --- Work that the broker never took: saved, answered normally, finished once Redis is back ---


def _png(text: str) -> SimpleUploadedFile:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (360, 60), "white")
    ImageDraw.Draw(image).text((10, 20), text, fill="black")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return SimpleUploadedFile("screenshot.png", out.getvalue(), content_type="image/png")


def _wait(check: Callable[[], object], what: str, timeout: float = 120.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with tenant_context(Tenant.objects.get(schema_name="acme")):
            value = check()
        if value:
            return value
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}")


def _mail_with(folder: Path, *needles: str) -> bool:
    return folder.exists() and any(all(n in f.read_text(errors="replace") for n in needles) for f in folder.iterdir())


@pytest.fixture
def fake_jira() -> Iterator[object]:
    from testing.jira import FakeJira

    fake = FakeJira().start()
    yield fake
    fake.stop()


# Beat every second, rows waiting a second are sent again, integrations swept every second; the labeler
# does without the LLM (as in the datasets tests).
SWEEPING_ENV = {
    "JOBS_SWEEP_SECONDS": "1",
    "JOBS_REQUEUE_AFTER_SECONDS": "1",
    "INTEGRATIONS_SWEEP_SECONDS": "1",
    "DATASETS_LLM_PROVIDER": "extractive",
    "LOG_LEVEL": "WARNING",
    "OUTBOUND_ALLOWED_NETWORKS": LOOPBACK_FAKES,
}


@pytest.fixture
def start_worker_with_beat(committed: None, tmp_path: Path) -> Iterator[Callable[[], None]]:
    """Starts a real worker (prefork, one process, beat inside), stopped after the test."""
    import psutil

    procs: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        name = f"sweeping-{uuid.uuid4().hex[:8]}@%h"
        env = {**os.environ, **SWEEPING_ENV, "DATABASE_URL": worker_database_url()}
        env["DJANGO_SETTINGS_MODULE"] = "helpdesk.settings_test"
        cmd = [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "--pool=prefork", "--concurrency=1"]
        cmd += ["-n", name, "-B", "--schedule", str(tmp_path / "beat"), "--without-gossip", "--without-mingle"]
        # Every queue but training's (screenshots may have their own queue).
        routed = {str(route["queue"]) for route in settings.CELERY_TASK_ROUTES.values() if "queue" in route}
        cmd += ["-Q", ",".join(sorted({"celery", *routed} - {settings.LORA_QUEUE}))]
        procs.append(subprocess.Popen([*cmd, "--loglevel=WARNING"], env=env, cwd=settings.BASE_DIR))

    yield start
    for proc in procs:
        children = psutil.Process(proc.pid).children(recursive=True) if proc.poll() is None else []
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            for child in [*children, psutil.Process(proc.pid)]:
                child.kill()


def test_work_saved_while_redis_is_down_answers_normally_and_is_finished_once_it_is_back(
    acme_setup, start_worker_with_beat, fake_jira, allow_loopback, settings
):
    from assistants.lora.models import Adapter
    from assistants.lora.models import Status as AdapterStatus
    from assistants.lora.services import adapter_cancel
    from assistants.models import Assistant
    from assistants.vision.models import AttachmentAnalysis
    from datasets.models import Run
    from datasets.sample import messages
    from datasets.services import dataset_create
    from datasets.tests.conftest import csv_bytes, process, rows_of, upload
    from helpdesk.tenants.models import UnsentTask
    from integrations.conftest import jira_connect
    from integrations.events.services import endpoint_create
    from integrations.models import ExternalRef, OutboxItem, WebhookDelivery
    from tickets import services as tickets
    from tickets.models import Attachment

    acme = acme_setup["acme"]
    settings.DATASETS_LLM_PROVIDER = "extractive"
    with tenant_context(acme):
        endpoint_create(url="http://127.0.0.1:9/hooks", events=["ticket.created", "reply.created"])
        jira_connect(fake_jira)
        contact = tickets.contact_ensure(email="lee@customer.test", name="Lee")
        ticket = tickets.ticket_create(
            subject="Printer offline", description="It is offline.", requester=contact, by=contact
        )
        sample = messages(24, seed=3, labels=["billing", "password", "shipping"])
        dataset_upload = upload(dataset_create(name="Chats"), csv_bytes(rows_of(sample)))
        processed = process(dataset_upload)
        bot = Assistant.objects.get(name="Support bot")
    agent = login_client(acme, acme_setup["agent"], ACME_HOST)
    api = Client(HTTP_HOST=ACME_HOST, headers={"Authorization": f"Api-Key {acme_setup['api_key']}"})

    with redis_stopped():
        # A portal request with a screenshot: the attachment hook, the webhook and the customer's mail.
        portal = Client(HTTP_HOST=ACME_HOST).post(
            "/portal/",
            {"email": "kim@customer.test", "subject": "Screenshot of the error", "description": "See the picture",
             "attachments": _png("Error 504 gateway")},
        )  # fmt: skip
        assert portal.status_code == 302, portal.content[:500]
        # An agent's reply with an attachment on a ticket.
        reply = agent.post(
            f"/tickets/{ticket.number}/reply/",
            {"kind": "public", "body": "Here is the fix.", "attachments": _png("Settings page")},
        )
        assert reply.status_code == 302, reply.content[:500]
        # Escalating to the linked tracker.
        escalated = api.post(f"/api/v1/tickets/{ticket.number}/escalate", {"system": "jira"}, "application/json")
        assert escalated.status_code == 202, escalated.content[:500]
        # A dataset run and a write.
        run = api.post(
            "/api/v1/datasets/process", {"upload_id": dataset_upload.pk, "create_version": False}, "application/json"
        )
        assert run.status_code == 202, run.content[:500]
        write = api.post(f"/api/v1/datasets/runs/{processed.pk}/write", {}, "application/json")
        assert write.status_code == 202, write.content[:500]
        # A LoRA training job.
        pairs = [{"question": f"How do I reset printer {i}?", "answer": f"Hold button {i}."} for i in range(6)]
        lora = api.post(f"/api/v1/assistants/{bot.pk}/adapters", {"pairs": pairs}, "application/json")
        assert lora.status_code == 202, lora.content[:500]

        with tenant_context(acme):
            assert Attachment.objects.count() == 2
            assert WebhookDelivery.objects.filter(status="pending").count() >= 2
            assert OutboxItem.objects.filter(status="pending").count() == 1
            assert Run.objects.get(pk=run.json()["run_id"]).status == Run.Status.QUEUED
            assert Run.objects.get(pk=processed.pk).status == Run.Status.WRITING
            adapter = Adapter.objects.get(pk=lora.json()["id"])
            assert adapter.status == AdapterStatus.QUEUED and adapter.queued_at is None
        # The mail of both (the portal's "we received your request", the agent's reply) is kept, not lost.
        assert UnsentTask.objects.filter(schema_name="acme", name="helpdesk.send_email").count() >= 2

    # Redis is back. A worker with beat inside, as `make run` has them: the sweepers queue what waited
    # (mail kept meanwhile, dataset runs and writes, the outbox row, webhook deliveries, the screenshots)
    # and the worker does it. Training itself is not what this test waits for (lora's test_jobs is).
    with tenant_context(acme):
        adapter_cancel(adapter=adapter)
    start_worker_with_beat()
    folder = Path(settings.EMAIL_FILE_PATH)
    _wait(lambda: _mail_with(folder, "We received your request: Screenshot of the error"), "the customer's mail")
    _wait(lambda: _mail_with(folder, "Here is the fix."), "the agent's reply by mail")
    _wait(lambda: not UnsentTask.objects.exists(), "no mail left behind")
    _wait(lambda: Run.objects.get(pk=processed.pk).status == Run.Status.DONE, "the version written")
    _wait(lambda: Run.objects.get(pk=run.json()["run_id"]).status == Run.Status.READY, "the new run processed")
    _wait(lambda: ExternalRef.objects.filter(ticket__number=ticket.number).exists(), "the Jira issue")
    _wait(lambda: not WebhookDelivery.objects.filter(attempts=0).exists(), "every webhook delivery tried")
    _wait(lambda: AttachmentAnalysis.objects.count() == 2, "both screenshots read", timeout=180)
