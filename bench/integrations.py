"""Escalations through the outbox against the local Jira fake: throughput, latency, duplicates under faults.

    .venv/bin/python bench/integrations.py [--throughput 300] [--chaos 1000] [--webhooks 200] [--workers 4]

- Own database (``bench_integrations``) on the embedded PostgreSQL, own tenant ``benchco``; real
  Celery workers (``--pool=solo`` processes) on the embedded Redis; the Jira fake on 127.0.0.1 with
  50 ms latency per request, driven through the real ``jira`` client.
- Worker: one Celery worker with a prefork pool (``--workers`` processes); kills hit pool processes
  with SIGKILL, which the worker replaces, as a crash or the OOM killer would.
- Throughput: N escalations written at once; escalations per second from the first outbox row to
  the last ``ExternalRef``, and the latency of each (outbox row created -> link created).
- Chaos: 1,000 escalations while the fake answers 10 % of requests with a 5xx, kills the worker
  that is about to link an issue it just created (2 % of remote-link calls: the worker dies
  between the remote create and the commit), and a monkey kills a random pool process every few
  seconds. A sweep every 2 s re-queues abandoned rows (what beat does). Counts issues
  per ticket label in the fake: duplicates must be 0, and every ticket must end up linked.
- Webhooks: signed ``jira:issue_updated`` deliveries (issue resolved) posted through Django's full
  stack in process; time from the request to the ticket being solved (server time, no network).
- Writes ``bench/results/integrations.json`` and ``bench/results/integrations.md``.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DB_NAME = "bench_integrations"
SCHEMA = "benchco"
HOST = f"{SCHEMA}.localhost"
WEBHOOK_SECRET = "bench-webhook-secret"  # noqa: S105 - the bench fake's own
ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "bench-only-secret-key",
    "INTEGRATIONS_KEYS": "YmVuY2gtb25seS1pbnRlZ3JhdGlvbnMta2V5LTAxMjM=",
    "STATIC_MANIFEST": "0",
    "LOG_LEVEL": "ERROR",
    "OUTBOUND_ALLOWED_NETWORKS": "127.0.0.1/32",
    "INTEGRATIONS_RETRY_BASE_SECONDS": "0.5",
    "INTEGRATIONS_RETRY_MAX_SECONDS": "4",
    "INTEGRATIONS_MAX_ATTEMPTS": "12",
    "INTEGRATIONS_LEASE_SECONDS": "5",
    "OUTBOUND_DEADLINE_SECONDS": "1.5",  # three calls of a claim fit in the lease
    "INTEGRATIONS_TIMEOUT_SECONDS": "5",
    "INTEGRATIONS_SWEEP_SECONDS": "5",
    "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
}


def setup_django() -> None:
    from helpdesk import devstack

    devstack.start()
    import psycopg

    with psycopg.connect(devstack.postgres_url(database="postgres"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone():
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    os.environ.update({**ENV, "DATABASE_URL": devstack.postgres_url(database=DB_NAME)})
    import django

    django.setup()


def prepare_tenant() -> Any:
    from django.core.management import call_command

    from helpdesk.tenants.models import Tenant
    from helpdesk.tenants.services import public_tenant_ensure, tenant_create

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    public_tenant_ensure()
    existing = Tenant.objects.filter(schema_name=SCHEMA).first()
    if existing is not None:
        existing.auto_drop_schema = True
        existing.delete(force_drop=True)
    tenant_create(schema_name=SCHEMA, name="Bench Co", domain=HOST)
    return Tenant.objects.get(schema_name=SCHEMA)


class Workers:
    """One Celery worker with a prefork pool; its pool processes are what gets killed (and replaced)."""

    def __init__(self, concurrency: int) -> None:
        self.concurrency = concurrency
        self.main: subprocess.Popen[bytes] | None = None
        self.kills = 0
        self.restarts = 0
        self.lock = threading.Lock()

    def _start(self) -> subprocess.Popen[bytes]:
        cmd = [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "--pool=prefork"]
        cmd += [f"--concurrency={self.concurrency}", "-n", f"bench-{uuid.uuid4().hex[:6]}@%h", "--loglevel=CRITICAL"]
        cmd += ["--without-gossip", "--without-mingle", "--without-heartbeat", "--prefetch-multiplier=1"]
        quiet = subprocess.DEVNULL
        return subprocess.Popen(cmd, env=os.environ.copy(), cwd=ROOT, stdout=quiet, stderr=quiet)  # noqa: S603

    def start(self) -> None:
        from helpdesk.celery import app

        app.control.purge()
        self.main = self._start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if app.control.ping(timeout=1.0):
                while len(self.pids()) < self.concurrency and time.monotonic() < deadline:
                    time.sleep(0.2)
                return
        raise SystemExit("the worker did not start")

    def pids(self) -> set[int]:
        import psutil

        if self.main is None or self.main.poll() is not None:
            return set()
        try:
            return {child.pid for child in psutil.Process(self.main.pid).children()}
        except psutil.NoSuchProcess:
            return set()

    def kill(self, pid: int) -> None:
        with self.lock:
            try:
                os.kill(pid, signal.SIGKILL)
                self.kills += 1
            except ProcessLookupError:
                pass

    def restart_dead(self) -> None:
        with self.lock:
            if self.main is not None and self.main.poll() is not None:
                self.main = self._start()
                self.restarts += 1

    def stop(self) -> None:
        with self.lock:
            if self.main is not None and self.main.poll() is None:
                self.main.terminate()
                try:
                    self.main.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self.main.kill()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def make_tickets(n: int, prefix: str) -> list[Any]:
    from tickets import services

    contact = services.contact_ensure(email="bench@customer.example", name="Bench")
    return [
        services.ticket_create(
            subject=f"{prefix} {i}: export fails", description="Error 500 on export.", requester=contact, by=contact
        )
        for i in range(n)
    ]


def escalate_all(tickets: list[Any]) -> None:
    from integrations.services import ticket_escalate

    for ticket in tickets:
        ticket_escalate(ticket=ticket, system="jira", by="bench")


def wait_linked(tickets: list[Any], timeout: float, workers: Workers | None = None, sweep_every: float = 2.0) -> bool:
    from integrations.models import ExternalRef
    from integrations.services.outbox import outbox_due_ids
    from integrations.tasks import outbox_run

    ids = [t.pk for t in tickets]
    deadline = time.monotonic() + timeout
    last_sweep = time.monotonic()
    while time.monotonic() < deadline:
        if ExternalRef.objects.filter(ticket_id__in=ids).count() == len(ids):
            return True
        if workers is not None:
            workers.restart_dead()
        if time.monotonic() - last_sweep > sweep_every:
            for item_id in outbox_due_ids():
                outbox_run.delay(item_id=item_id)
            last_sweep = time.monotonic()
        time.sleep(0.2)
    return False


def latency_of(tickets: list[Any]) -> dict[str, Any]:
    from integrations.models import ExternalRef, OutboxItem

    ids = [t.pk for t in tickets]
    created = dict(OutboxItem.objects.filter(ticket_id__in=ids, action="create").values_list("ticket_id", "created_at"))
    linked = dict(ExternalRef.objects.filter(ticket_id__in=ids).values_list("ticket_id", "created_at"))
    seconds = [(linked[t] - created[t]).total_seconds() for t in ids if t in linked]
    span = (max(linked.values()) - min(created.values())).total_seconds()
    return {
        "count": len(seconds),
        "span_s": round(span, 2),
        "per_second": round(len(seconds) / span, 1) if span else None,
        "p50_s": round(statistics.median(seconds), 3),
        "p95_s": round(percentile(seconds, 0.95), 3),
        "max_s": round(max(seconds), 3),
    }


def run_throughput(fake: Any, n: int, workers: Workers) -> dict[str, Any]:
    tickets = make_tickets(n, "Throughput")
    escalate_all(tickets)
    if not wait_linked(tickets, timeout=600):
        raise SystemExit("throughput run did not finish")
    result = latency_of(tickets)
    result["remote_requests"] = len(fake.log)
    return result


def run_steady(fake: Any, rate: float, seconds: float) -> dict[str, Any]:
    """Escalations arriving at a steady rate below capacity: the latency of one, without a queue."""
    tickets = make_tickets(round(rate * seconds), "Steady")
    started = time.monotonic()
    for i, ticket in enumerate(tickets):
        time.sleep(max(0.0, started + i / rate - time.monotonic()))
        escalate_all([ticket])
    if not wait_linked(tickets, timeout=600):
        raise SystemExit("steady run did not finish")
    return {"rate_per_s": rate, **latency_of(tickets)}


def run_chaos(
    fake: Any, n: int, workers: Workers, error_rate: float, kill_rate: float, monkey_every: float
) -> dict[str, Any]:
    import psutil

    from integrations.models import ExternalRef, OutboxItem

    rng = random.Random(10)  # noqa: S311 - fault dice
    fake.log.clear()

    def flaky(request: Any) -> None:
        if rng.random() < error_rate:
            fake.fail(1, status=rng.choice([500, 502, 503]), method=request.method, path=f"^{request.path}$")

    def kill_linker(request: Any) -> None:
        if rng.random() >= kill_rate:
            return
        client = tuple(request.client)
        for conn in psutil.net_connections(kind="tcp"):
            if conn.laddr and (conn.laddr.ip, conn.laddr.port) == client and conn.pid in workers.pids():
                workers.kill(conn.pid)  # the issue exists, the link and the commit never happen
                return

    for method in ("GET", "POST"):
        fake.on(method, "/rest/api/", flaky)
    fake.on("POST", "/remotelink$", kill_linker)
    stop = threading.Event()

    def monkey() -> None:
        while not stop.wait(monkey_every):
            pids = sorted(workers.pids())
            if pids:
                workers.kill(rng.choice(pids))

    thread = threading.Thread(target=monkey, daemon=True)
    started = time.monotonic()
    tickets = make_tickets(n, "Chaos")
    thread.start()
    escalate_all(tickets)
    finished = wait_linked(tickets, timeout=1800, workers=workers)
    stop.set()
    fake.clear_faults()
    elapsed = time.monotonic() - started
    labels = [f"helpdesk-{SCHEMA}-{t.number}" for t in tickets]
    per_label: dict[str, int] = {}
    with fake.lock:
        for issue in fake.issues.values():
            for label in issue["fields"]["labels"]:
                if label.startswith(f"helpdesk-{SCHEMA}-"):
                    per_label[label] = per_label.get(label, 0) + 1
    duplicates = sum(max(0, per_label.get(label, 0) - 1) for label in labels)
    ids = [t.pk for t in tickets]
    links_ok = sum(
        1
        for ref in ExternalRef.objects.filter(ticket_id__in=ids).select_related("ticket")
        if per_label.get(f"helpdesk-{SCHEMA}-{ref.ticket.number}") == 1
    )
    statuses: dict[str, int] = {}
    for status in OutboxItem.objects.filter(ticket_id__in=ids).values_list("status", flat=True):
        statuses[status] = statuses.get(status, 0) + 1
    injected = sum(1 for _, _, code in fake.log if code >= 500)
    return {
        "escalations": n,
        "finished": finished,
        "elapsed_s": round(elapsed, 1),
        "linked": ExternalRef.objects.filter(ticket_id__in=ids).count(),
        "linked_to_the_single_issue": links_ok,
        "issues_in_fake": sum(per_label.get(label, 0) for label in labels),
        "duplicates": duplicates,
        "worker_kills": workers.kills,
        "worker_restarts": workers.restarts,
        "injected_5xx": injected,
        "outbox_statuses": statuses,
        "found_existing_after_crash": OutboxItem.objects.filter(ticket_id__in=ids, attempts__gt=1).count(),
    }


def run_webhooks(fake: Any, tickets: list[Any]) -> dict[str, Any]:
    from django.test import Client

    from integrations.models import ExternalRef
    from tickets.models import Ticket

    client = Client(HTTP_HOST=HOST)
    seconds = []
    refs = list(ExternalRef.objects.filter(ticket__in=tickets).select_related("ticket"))
    for ref in refs:
        issue = {
            "key": ref.key,
            "fields": {"status": {"name": "Done", "statusCategory": {"key": "done"}}, "resolution": {"name": "Done"}},
        }
        body = json.dumps({"webhookEvent": "jira:issue_updated", "issue": issue}).encode()
        signature = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
        headers = {"X-Hub-Signature": signature, "X-Atlassian-Webhook-Identifier": str(uuid.uuid4())}
        started = time.perf_counter()
        response = client.post(
            "/integrations/jira/webhook", data=body, content_type="application/json", headers=headers
        )
        seconds.append(time.perf_counter() - started)
        assert response.status_code == 200, response.content
    solved = Ticket.objects.filter(pk__in=[r.ticket_id for r in refs], status="solved").count()
    return {
        "deliveries": len(refs),
        "tickets_solved": solved,
        "p50_ms": round(statistics.median(seconds) * 1000, 1),
        "p95_ms": round(percentile(seconds, 0.95) * 1000, 1),
    }


def write(results: dict[str, Any]) -> None:
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "integrations.json").write_text(json.dumps(results, indent=2) + "\n")
    t, s, c, w = results["throughput"], results["steady"], results["chaos"], results["webhooks"]
    lines = [
        "# Integrations benchmark",
        "",
        f"{results['when']} · {results['machine']} · load average before/after: "
        f"{results['loadavg_before']} / {results['loadavg_after']}",
        f"Worker: one Celery worker, prefork pool of {results['workers']} processes (killed ones are replaced); "
        f"fake Jira latency {results['latency_ms']} ms per request "
        "(an escalation makes 4 requests: JQL lookup, create, the client's application-link lookup, remote link).",
        "",
        "| measure | result | target |",
        "| --- | --- | --- |",
        f"| escalations per second through the outbox ({t['count']} at once) | {t['per_second']} /s | — |",
        f"| escalation → ExternalRef with {t['count']} queued at once, p50 / p95 / max "
        f"| {t['p50_s']} s / {t['p95_s']} s / {t['max_s']} s | — |",
        f"| escalation → ExternalRef at a steady {s['rate_per_s']}/s ({s['count']}), p50 / p95 / max "
        f"| {s['p50_s']} s / {s['p95_s']} s / {s['max_s']} s | — |",
        f"| duplicates after {c['escalations']} escalations with worker kills and 5xx | **{c['duplicates']}** | 0 |",
        f"| tickets linked to their single issue | {c['linked_to_the_single_issue']} / {c['escalations']} | all |",
        f"| worker kills / injected 5xx answers during the run | {c['worker_kills']} / {c['injected_5xx']} | — |",
        f"| chaos run time | {c['elapsed_s']} s | — |",
        f"| webhook → ticket solved, p50 / p95 (server time, {w['deliveries']} deliveries) "
        f"| {w['p50_ms']} ms / {w['p95_ms']} ms | — |",
        "",
        "Latency figures were measured on a 2-core machine shared with other work (see the load average): "
        "they are noisy. "
        "The duplicate count does not depend on load.",
    ]
    (out / "integrations.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--throughput", type=int, default=300)
    parser.add_argument("--chaos", type=int, default=1000)
    parser.add_argument("--webhooks", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--steady-rate", type=float, default=1.0, help="escalations per second in the steady run")
    parser.add_argument("--steady-seconds", type=float, default=60.0)
    parser.add_argument("--error-rate", type=float, default=0.10)
    parser.add_argument("--kill-rate", type=float, default=0.02)
    parser.add_argument("--monkey-seconds", type=float, default=3.0)
    args = parser.parse_args()
    # A stopped benchmark must stop its worker too (the finally below), not leave it eating the queue.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    loadavg_before = Path("/proc/loadavg").read_text().split()[:3]
    setup_django()
    from django_tenants.utils import tenant_context

    from integrations.services import connection_save, connection_test
    from testing.jira import FakeJira

    tenant = prepare_tenant()
    fake = FakeJira(latency=args.latency_ms / 1000).start()
    workers = Workers(args.workers)
    try:
        with tenant_context(tenant):
            conn = connection_save(
                system="jira",
                base_url=fake.url,
                username=fake.username,
                token=fake.token,
                project_key=fake.project,
                webhook_secret=WEBHOOK_SECRET,
            )
            print(connection_test(connection=conn).message)
            workers.start()
            throughput = run_throughput(fake, args.throughput, workers)
            print("throughput", throughput)
            steady = run_steady(fake, args.steady_rate, args.steady_seconds)
            print("steady", steady)
            chaos = run_chaos(fake, args.chaos, workers, args.error_rate, args.kill_rate, args.monkey_seconds)
            print("chaos", chaos)
            from integrations.models import ExternalRef

            linked = [ref.ticket for ref in ExternalRef.objects.select_related("ticket").order_by("?")[: args.webhooks]]
            webhooks = run_webhooks(fake, linked)
            print("webhooks", webhooks)
    finally:
        workers.stop()
        fake.stop()
    write(
        {
            "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
            "loadavg_before": " ".join(loadavg_before),
            "loadavg_after": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
            "workers": args.workers,
            "latency_ms": args.latency_ms,
            "error_rate": args.error_rate,
            "kill_rate": args.kill_rate,
            "throughput": throughput,
            "steady": steady,
            "chaos": chaos,
            "webhooks": webhooks,
        }
    )


if __name__ == "__main__":
    main()
