"""The production server (gunicorn.conf.py, as `make run` starts it) under a few hundred requests.

No request fails, the database connections stay within workers x threads whatever the clients
do, two tenants never see each other's rows through pooled connections, and 20 open streams
(server-sent events) leave the pages answering. bench/load.py is the full load test.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
from django.conf import settings
from django_tenants.utils import tenant_context

from assistants.tests.conftest import FakeOllama, fake_ollama  # noqa: F401  (the fixture)
from conftest import worker_database_url
from helpdesk import devstack
from helpdesk.accounts.services import api_key_issue
from helpdesk.tenants.models import Tenant
from tickets.services import contact_ensure, ticket_create

WORKERS, THREADS = 2, 24  # the defaults of gunicorn.conf.py


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    url: str
    proc: subprocess.Popen[bytes]

    def client(self, host: str, headers: dict[str, str] | None = None) -> httpx.Client:
        # Generous: a worker's first chat loads the embedding model, slow on a busy machine.
        return httpx.Client(base_url=self.url, headers={"Host": host, **(headers or {})}, timeout=180)


@pytest.fixture
def server(committed: None, fake_ollama: FakeOllama, tmp_path: Path) -> Iterator[Server]:  # noqa: F811
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings_test",
        "DATABASE_URL": worker_database_url(),
        "WEB_BIND": "127.0.0.1",
        "WEB_PORT": str(port),
        "WEB_WORKERS": str(WORKERS),
        "WEB_THREADS": str(THREADS),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        "OLLAMA_HOST": fake_ollama.url,
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DB_POOL_MAX_SIZE", None)
    (tmp_path / "metrics").mkdir()
    log = (tmp_path / "gunicorn.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"gunicorn did not start: {(tmp_path / 'gunicorn.log').read_text()[-3000:]}")
        time.sleep(0.3)
    yield Server(url, proc)
    proc.terminate()
    try:
        proc.wait(timeout=40)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()


def _connections() -> int:
    """Backends connected to the test database right now (other than this one)."""
    name = settings.DATABASES["default"]["NAME"]
    url = os.environ.get("DATABASE_URL") or devstack.postgres_url(database="postgres")
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [name]
        ).fetchone()
    return int(row[0]) if row else 0


def _seed(schema: str, subject: str) -> str:
    with tenant_context(Tenant.objects.get(schema_name=schema)):
        contact = contact_ensure(email=f"someone@{schema}.test", name="Someone")
        ticket_create(subject=subject, requester=contact, by=contact, description="Seeded for the smoke test.")
        return api_key_issue(name="smoke").raw_key


def test_a_few_hundred_requests_through_the_real_server_without_exhausting_connections(server):
    keys = {"acme": _seed("acme", "Acme printer jam"), "globex": _seed("globex", "Globex login loop")}
    baseline = _connections()
    peak = [baseline]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak.append(_connections())
            time.sleep(0.05)

    def call(index: int) -> tuple[str, int, bool]:
        schema = ("acme", "globex")[index % 2]
        with server.client(f"{schema}.localhost", headers={"Authorization": f"Api-Key {keys[schema]}"}) as client:
            kind = index % 4
            if kind == 0:  # both seeded subjects match: each tenant must see its own only
                response = client.get("/api/v1/tickets/", params={"q": "printer OR login"})
                subjects = {t["subject"] for t in response.json()["results"]}
                own = {"acme": "Acme printer jam", "globex": "Globex login loop"}[schema]
                return "search", response.status_code, subjects == {own}
            if kind == 1:
                response = client.get("/api/v1/tickets/", params={"page": 1})
                return "list", response.status_code, response.json()["count"] >= 1
            if kind == 2:
                body = {"subject": f"Load {index}", "description": "From the smoke test", "requester_email": "l@x.test"}
                response = client.post("/api/v1/tickets/", json=body)
                return "create", response.status_code, response.status_code == 201
            response = client.get("/accounts/login/")
            return "page", response.status_code, "Sign in" in response.text

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    with ThreadPoolExecutor(max_workers=32) as pool:
        results = list(pool.map(call, range(300)))
    stop.set()
    sampler.join()

    statuses = Counter((kind, status) for kind, status, _ in results)
    assert all(status < 400 for _, status, _ in results), statuses
    assert all(ok for *_, ok in results), [r for r in results if not r[2]][:5]
    # Each worker's pool holds at most one connection per thread; nothing else connects here.
    assert max(peak) - baseline <= WORKERS * THREADS, max(peak)


def test_twenty_open_streams_leave_the_pages_answering(server, fake_ollama):  # noqa: F811
    from assistants.services import assistant_create

    fake_ollama.delay_seconds = 6.0  # the model takes 6 s to answer: each stream stays open that long
    with tenant_context(Tenant.objects.get(schema_name="acme")):
        bot = assistant_create(name="Slow bot", company="Acme", provider="ollama")
        key = api_key_issue(name="streams").raw_key
    headers = {"Authorization": f"Api-Key {key}"}

    def stream(_: int) -> tuple[int, str]:
        with (
            server.client("acme.localhost", headers=headers) as client,
            client.stream("POST", f"/api/v1/assistants/{bot.pk}/chat/stream", json={"message": "Hello?"}) as resp,
        ):
            return resp.status_code, resp.read().decode()

    with ThreadPoolExecutor(max_workers=20) as pool:
        # Warm both workers (each loads the embedding model on its first chat).
        list(pool.map(stream, range(4)))
        started = time.monotonic()
        streams = [pool.submit(stream, i) for i in range(20)]
        time.sleep(2)  # all 20 are open and waiting for the model
        assert not any(s.done() for s in streams)
        page_times = []
        with server.client("acme.localhost") as client:
            for path in ["/accounts/login/", "/health", "/portal/", "/accounts/login/", "/health"]:
                begin = time.monotonic()
                assert client.get(path).status_code == 200
                page_times.append(time.monotonic() - begin)
        answers = [s.result(timeout=120) for s in streams]
    assert max(page_times) < 3.0, page_times
    assert time.monotonic() - started < 120
    assert all(status == 200 and "event: done" in body for status, body in answers)
