"""Nothing is lost with real failures: a worker killed mid-index, a broker that is down at upload.

These tests start their own Celery workers (prefork, with beat inside, so the sweeper runs as it
does in production) with a short stuck timeout; other test workers stop consuming meanwhile.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tenants.utils import tenant_context

from conftest import ACME_HOST, login_client, make_user, worker_database_url
from helpdesk import devstack
from helpdesk.accounts.services import api_key_issue
from helpdesk.celery import app
from helpdesk.tenants.models import Tenant
from knowledge import services
from knowledge.models import Document
from knowledge.tests.conftest import wait_for

# A run without a heartbeat for 10 s counts as dead (production: 10 min); the sweeper runs every second.
WORKER_ENV = {"KB_STUCK_AFTER_SECONDS": "10", "KB_SWEEP_SECONDS": "1", "LOG_LEVEL": "WARNING"}


@pytest.fixture
def start_worker(committed: None, tmp_path: Path) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    """Starts real workers (1 prefork process + embedded beat) that only this test feeds."""
    paused = [name for reply in app.control.cancel_consumer("celery", reply=True, timeout=2) or [] for name in reply]
    app.control.purge()  # messages left by earlier runs would only delay these workers
    procs: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        name = f"stuck-{uuid.uuid4().hex[:8]}@%h"
        env = {
            **os.environ,
            **WORKER_ENV,
            "DATABASE_URL": worker_database_url(),
            "DJANGO_SETTINGS_MODULE": "helpdesk.settings_test",
        }
        cmd = [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "--pool=prefork", "--concurrency=1"]
        cmd += ["-n", name, "-B", "--schedule", str(tmp_path / f"beat-{len(procs)}"), "--without-gossip"]
        cmd += ["--without-mingle", "--loglevel=WARNING"]
        proc = subprocess.Popen(cmd, env=env, cwd=settings.BASE_DIR)
        procs.append(proc)
        node = name.replace("%h", os.uname().nodename)
        deadline = time.monotonic() + 90
        while not app.control.ping(destination=[node], timeout=0.5):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"worker {node} did not start")
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                _kill_tree(proc.pid)
    if paused:
        _resume_consuming(paused)


def _resume_consuming(workers: list[str]) -> None:
    """Give the paused test workers their queue back, and check they took it: a worker that was
    reconnecting to the broker (after a broker restart) misses a broadcast, and every later test that
    needs a worker would wait in vain."""
    deadline = time.monotonic() + 90
    while True:
        app.control.add_consumer("celery", destination=workers, reply=True, timeout=2)
        queues = app.control.inspect(destination=workers, timeout=2).active_queues() or {}
        if all(any(queue["name"] == "celery" for queue in queues.get(name, [])) for name in workers):
            return
        if time.monotonic() > deadline:
            pytest.fail(f"workers {workers} did not take the celery queue back: {queues}")
        time.sleep(1)


def _kill_tree(pid: int) -> None:
    parent = psutil.Process(pid)
    for process in [*parent.children(recursive=True), parent]:
        process.send_signal(signal.SIGKILL)


def _pool_processes(worker: subprocess.Popen[bytes]) -> list[int]:
    """The pids of the worker's pool processes (beat runs in another child of the same worker)."""
    stats = app.control.inspect(timeout=2).stats() or {}
    for reply in stats.values():
        pids = reply["pool"]["processes"]
        if set(pids) <= {child.pid for child in psutil.Process(worker.pid).children()}:
            return list(pids)
    raise AssertionError(f"no pool processes found for worker {worker.pid}")


def _state(document_id: int) -> Document:
    with tenant_context(Tenant.objects.get(schema_name="acme")):
        return Document.objects.get(pk=document_id)


def _long_text(paragraphs: int) -> str:
    topics = ["billing", "shipping", "returns", "accounts", "security", "warranty", "invoices", "devices"]
    return "\n\n".join(
        f"## Section {i}\n\nArticle {i} explains {topics[i % len(topics)]} case {i * 7 % 101}: the customer opens "
        f"the settings, picks option {i % 13}, confirms with code {i * 31 % 997} and waits for step {i % 5}."
        for i in range(paragraphs)
    )


def test_a_worker_killed_mid_index_loses_nothing(start_worker):
    acme = Tenant.objects.get(schema_name="acme")
    worker = start_worker()
    with tenant_context(acme):
        document = services.document_create_from_text(title="Big manual", text=_long_text(40))

    # 1. The pool process dies under the task (as an out-of-memory kill would): the message was not
    #    acknowledged (acks_late) and is given back (reject_on_worker_lost); the new process takes its
    #    own claim back and goes on.
    wait_for(lambda: _state(document.pk).status == Document.Status.PROCESSING, timeout=60, interval=0.05)
    first = _state(document.pk)
    [pool_process] = _pool_processes(worker)
    os.kill(pool_process, signal.SIGKILL)
    wait_for(lambda: _state(document.pk).index_attempts == 2, timeout=60, interval=0.05)
    assert _state(document.pk).claimed_by == first.claimed_by  # the same message, redelivered

    # 2. The whole worker dies (the machine restarts): its message stays unacknowledged in the broker.
    #    A new worker's beat sweeper sees no heartbeat for KB_STUCK_AFTER_SECONDS and queues it again.
    assert _state(document.pk).status == Document.Status.PROCESSING
    _kill_tree(worker.pid)
    start_worker()
    wait_for(lambda: _state(document.pk).status == Document.Status.INDEXED, timeout=180, interval=0.2)

    done = _state(document.pk)
    assert done.error == "" and done.index_attempts == 0
    assert done.claimed_by != first.claimed_by  # finished by the re-queued task
    with tenant_context(acme):
        assert done.chunks.count() == done.chunks_total > 3
        hit = services.search("confirms with code 31", top_k=1, mode="keyword")[0]
        assert hit.document_id == document.pk


def test_an_upload_while_the_broker_is_down_is_saved_and_indexed_once_it_is_back(start_worker):
    acme = Tenant.objects.get(schema_name="acme")
    start_worker()
    manager = login_client(acme, make_user(acme, "mia-broker@acme.test", "manager"), ACME_HOST)
    with tenant_context(acme):
        api = Client(HTTP_HOST=ACME_HOST, headers={"Authorization": f"Api-Key {api_key_issue(name='b').raw_key}"})
    port = devstack.redis_port()
    assert devstack.redis_stop(port)
    try:
        started = time.monotonic()
        page = manager.post(
            "/knowledge/upload/", {"files": [SimpleUploadedFile("outage.txt", b"During an outage call 555-0100.")]}
        )
        via_api = api.post("/api/v1/kb/documents/", {"title": "API outage", "text": "Status page at status.acme."})
        elapsed = time.monotonic() - started
        assert page.status_code == 302
        assert via_api.status_code == 202 and via_api.json()["queued_at"] is None
        assert elapsed < 15, f"the two uploads took {elapsed:.1f} s with the broker down"
        notice = manager.get("/knowledge/").content.decode()
        assert "task queue is unreachable" in notice  # the flash message
        assert "Waiting for the task queue" in notice  # the row
        with tenant_context(acme):
            saved = list(Document.objects.filter(title__in=["outage", "API outage"]))
        assert len(saved) == 2 and all(d.status == Document.Status.UPLOADED and d.queued_at is None for d in saved)
    finally:
        devstack.redis_start(port)

    ids = [d.pk for d in saved]
    wait_for(lambda: all(_state(pk).status == Document.Status.INDEXED for pk in ids), timeout=180, interval=0.2)
    with tenant_context(acme):
        assert services.search("outage call", top_k=1, mode="keyword")[0].document_title == "outage"
