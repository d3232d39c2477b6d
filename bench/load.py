"""Load test of the real server (gunicorn.conf.py, as `make run` starts it), with locust, on 127.0.0.1.

Sets up its own database (``helpdesk_bench`` on the embedded PostgreSQL, seeded with
``manage.py demo``) and its own Redis, starts the web server and a Celery worker, then runs
``--users`` (50) concurrent users for ``--seconds`` (60) that mix the agent's queue page, ticket
creation, the ticket list/search API and knowledge search, plus ``--chats`` (10) users that chat
with the demo assistant over server-sent events (the real local model), and writes per endpoint
p50/p95, requests/s and errors to bench/results/load.{json,md,png}.

    make bench-load                       # or: .venv/bin/python bench/load.py [--server uvicorn]

``--server uvicorn`` serves the ASGI app instead (the comparison the server choice rests on).
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()  # locust's own requirement, before anything else is imported

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import gevent  # noqa: E402
from locust import HttpUser, between, events, task  # noqa: E402
from locust.env import Environment  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from helpdesk import devstack  # noqa: E402

RESULTS = ROOT / "bench" / "results"
DATABASE = "helpdesk_bench"
HOST = "acme.localhost"
PASSWORD = os.environ.get("DEMO_PASSWORD", "helpdesk-demo")
QUERIES = ["password", "refund", "shipping", "invoice", "2FA", "delete account", "printer", "login"]
KB_QUESTIONS = [
    "How do I reset my password?",
    "How long do refunds take?",
    "Can I change my shipping address?",
    "How do I turn on two-factor authentication?",
    "What are the API rate limits?",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- The system under test ------------------------------------------------------------------------


class Stack:
    """Embedded PostgreSQL (own database), own Redis, the web server and a worker."""

    def __init__(
        self,
        server: str,
        *,
        name: str = "bench-load",
        database: str = DATABASE,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.server = server
        self.database = database
        self.web_port = _free_port()
        self.redis_port = _free_port()
        self.layout = devstack.Layout(devstack.layout().var_dir / name)
        self.extra_env = extra_env or {}
        self.procs: list[subprocess.Popen[bytes]] = []
        self.env: dict[str, str] = {}

    def start(self) -> None:
        devstack.postgres_start()
        devstack.redis_start(self.redis_port, self.layout)
        import psycopg

        with psycopg.connect(devstack.postgres_url(database="postgres"), autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.database]).fetchone():
                conn.execute(f'CREATE DATABASE "{self.database}"')
        self.env = {
            **os.environ,
            "DATABASE_URL": devstack.postgres_url(database=self.database),
            "REDIS_URL": devstack.redis_url(self.redis_port),
            "CACHE_URL": devstack.redis_url(self.redis_port, db=1),
            "WEB_BIND": "127.0.0.1",
            "WEB_PORT": str(self.web_port),
            "LOG_LEVEL": "WARNING",
            "HF_HUB_OFFLINE": "1",
            "DEBUG": "0",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
            "PROMETHEUS_MULTIPROC_DIR": str(self.layout.var_dir / "metrics"),
            **self.extra_env,
        }
        self.env.pop("DB_POOL_MAX_SIZE", None)
        (self.layout.var_dir / "metrics").mkdir(parents=True, exist_ok=True)
        self.manage("migrate_schemas", "--noinput", "--verbosity", "0")
        if devstack._static_outdated(devstack.layout()):
            self.manage("collectstatic", "--noinput", "--verbosity", "0")
        self.manage("demo", "--port", str(self.web_port))
        web = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"]
        if self.server == "uvicorn":  # the same workers, the ASGI app
            web = [sys.executable, "-m", "uvicorn", "helpdesk.asgi:application", "--host", "127.0.0.1"]
            web += ["--port", str(self.web_port), "--workers", "2", "--no-access-log"]
            self.env["DB_POOL_MAX_SIZE"] = "24"
        log = (self.layout.var_dir / "server.log").open("wb")
        for cmd in (web, *self.worker_commands()):
            self.procs.append(subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT))
        self.wait_until_serving()

    def worker_commands(self) -> list[list[str]]:
        """The Celery processes next to the web server: here one worker on the default queue."""
        return [[sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "--concurrency=1", "--loglevel=WARNING"]]

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, check=True, capture_output=True, text=True
        )
        return result.stdout

    def wait_until_serving(self) -> None:
        import urllib.request

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.web_port}/health", timeout=2):
                    return
            except OSError:
                time.sleep(0.5)
        raise SystemExit("the web server did not answer /health within 120 s")

    def api_keys(self, count: int) -> tuple[list[str], int]:
        """``count`` API keys of acme (one per simulated system, each with its own rate limit), the assistant id."""
        run = secrets.token_hex(3)  # key names are unique: this run's differ from the last one's
        code = (
            "import json; from django_tenants.utils import schema_context;"
            "from helpdesk.accounts.services import api_key_issue; from assistants.selectors import assistant_default\n"
            f"with schema_context('acme'): print(json.dumps({{'keys': [api_key_issue(name=f'load-{{i}}-{run}')"
            f".raw_key for i in range({count})], 'assistant': assistant_default().pk}}))"
        )
        data = json.loads(self.manage("shell", "-c", code).strip().splitlines()[-1])
        return data["keys"], data["assistant"]

    def db_connections(self) -> int:
        import psycopg

        with psycopg.connect(devstack.postgres_url(database="postgres"), autocommit=True) as conn:
            row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [self.database]).fetchone()
        return int(row[0]) if row else 0

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                proc.kill()
        devstack.redis_stop(self.redis_port, self.layout)


# --- The users ------------------------------------------------------------------------------------

API_KEYS: list[str] = []
ASSISTANT_ID = 0


class Agent(HttpUser):
    """A support agent in the browser: the queue page (with filters and search) and new tickets."""

    weight = 2
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.client.headers["Host"] = HOST
        page = self.client.get("/accounts/login/", name="login page")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        self.client.post(
            "/accounts/login/",
            {
                "username": "agent@acme.test",
                "password": PASSWORD,
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
            headers={"Referer": f"http://{HOST}/accounts/login/"},
            name="login",
        )

    @task(5)
    def queue(self) -> None:
        params = random.choice([{}, {"status": "open"}, {"q": random.choice(QUERIES)}, {"assignee": "me"}])
        self.client.get("/tickets/", params=params, name="queue page")

    @task(1)
    def create_ticket(self) -> None:
        form = self.client.get("/tickets/new/", name="new ticket form")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        data = {
            "requester_email": f"load{random.randint(1, 500)}@customer.test",
            "subject": f"Load test {random.randint(1, 10**6)}",
            "description": "Created by bench/load.py",
            "priority": random.choice(["low", "normal", "high"]),
            "csrfmiddlewaretoken": token.group(1) if token else "",
        }
        with self.client.post(
            "/tickets/new/",
            data,
            headers={"Referer": f"http://{HOST}/tickets/new/"},
            name="create ticket (page)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"expected a redirect to the new ticket, got {response.status_code}")


class ExternalSystem(HttpUser):
    """An integration with its own API key: ticket list/search, ticket creation, knowledge search."""

    weight = 3
    wait_time = between(0.5, 2)

    def on_start(self) -> None:
        self.client.headers.update({"Host": HOST, "Authorization": f"Api-Key {random.choice(API_KEYS)}"})

    @task(4)
    def list_tickets(self) -> None:
        self.client.get("/api/v1/tickets/", params={"status": random.choice(["new", "open", ""])}, name="api list")

    @task(3)
    def search_tickets(self) -> None:
        self.client.get("/api/v1/tickets/", params={"q": random.choice(QUERIES)}, name="api search")

    @task(1)
    def create_ticket(self) -> None:
        body = {
            "subject": f"From the load test {random.randint(1, 10**6)}",
            "description": "bench/load.py",
            "requester_email": "system@partner.test",
        }
        self.client.post("/api/v1/tickets/", json=body, name="api create ticket")

    @task(3)
    def kb_search(self) -> None:
        body = {"query": random.choice(KB_QUESTIONS), "top_k": 5}
        self.client.post("/api/v1/kb/search", json=body, name="api kb search")


class Chat(HttpUser):
    """A chat with the demo assistant over server-sent events: first token and the whole answer."""

    fixed_count = 10
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.client.headers.update({"Host": HOST, "Authorization": f"Api-Key {random.choice(API_KEYS)}"})

    @task
    def chat(self) -> None:
        started = time.perf_counter()
        first_token = None
        body = {"message": random.choice(KB_QUESTIONS)}
        with self.client.post(
            f"/api/v1/assistants/{ASSISTANT_ID}/chat/stream",
            json=body,
            stream=True,
            name="chat stream (whole answer)",
            catch_response=True,
        ) as response:
            done = False
            for line in response.iter_lines():
                if first_token is None and line.startswith(b"event: token"):
                    first_token = (time.perf_counter() - started) * 1000
                if line.startswith(b"event: done"):
                    done = True
            if response.status_code != 200 or not done:
                response.failure(f"status {response.status_code}, done event {'seen' if done else 'missing'}")
        if first_token is not None:
            events.request.fire(
                request_type="SSE", name="chat stream (first token)", response_time=first_token,
                response_length=0, exception=None, context={},
            )  # fmt: skip


# --- Running and reporting ------------------------------------------------------------------------


def _warm_up(port: int, *, chat: bool = True) -> None:
    """Each web worker loads the embedding (with ``chat``, the language) model on first use: do it first."""
    import urllib.request

    def post(path: str, body: dict[str, object]) -> None:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}{path}",
            data=json.dumps(body).encode(),
            headers={"Host": HOST, "Authorization": f"Api-Key {API_KEYS[0]}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310  (127.0.0.1)
            response.read()

    jobs = [gevent.spawn(post, "/api/v1/kb/search", {"query": q}) for q in KB_QUESTIONS[:4]]
    if chat:
        jobs += [
            gevent.spawn(post, f"/api/v1/assistants/{ASSISTANT_ID}/chat", {"message": q}) for q in KB_QUESTIONS[:4]
        ]
    gevent.joinall(jobs, raise_error=True)


def run(args: argparse.Namespace) -> dict[str, Any]:
    global API_KEYS, ASSISTANT_ID
    stack = Stack(args.server)
    print(f"starting the stack ({args.server}) ...", flush=True)
    stack.start()
    try:
        API_KEYS, ASSISTANT_ID = stack.api_keys(max(5, args.users // 5))
        Chat.fixed_count = args.chats
        env = Environment(
            user_classes=[Agent, ExternalSystem, Chat], events=events, host=f"http://127.0.0.1:{stack.web_port}"
        )
        runner = env.create_local_runner()
        peak_connections = [stack.db_connections()]

        def sample() -> None:
            while True:
                gevent.sleep(1)
                peak_connections.append(stack.db_connections())

        sampler = gevent.spawn(sample)
        _warm_up(stack.web_port)
        load_before = os.getloadavg()
        print(f"running {args.users} users + {args.chats} chats for {args.seconds} s ...", flush=True)
        started = time.monotonic()
        runner.start(args.users + args.chats, spawn_rate=max(10, args.users))
        gevent.sleep(10)  # every user has signed in (the logins are not what is measured)
        env.stats.reset_all()
        started = time.monotonic()
        gevent.spawn_later(args.seconds, runner.quit)
        runner.greenlet.join()
        elapsed = time.monotonic() - started
        sampler.kill()
        load_after = os.getloadavg()
        return {
            "server": args.server,
            "users": args.users,
            "chats": args.chats,
            **summary(env.stats, elapsed),
            "db_connections_peak": max(peak_connections),
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in load_after],
            "cpus": os.cpu_count(),
        }
    finally:
        stack.stop()


def summary(stats: Any, elapsed: float) -> dict[str, Any]:
    """Locust's figures since its last reset: totals, per endpoint p50/p95/max and rate, the errors."""
    endpoints = []
    for entry in sorted(stats.entries.values(), key=lambda e: e.name):
        endpoints.append(
            {
                "name": entry.name,
                "method": entry.method,
                "requests": entry.num_requests,
                "failures": entry.num_failures,
                "p50_ms": entry.get_response_time_percentile(0.5),
                "p95_ms": entry.get_response_time_percentile(0.95),
                "max_ms": round(entry.max_response_time or 0, 1),
                "rps": round(entry.num_requests / elapsed, 2),
            }
        )
    total = stats.total
    errors = [
        {"name": e.name, "method": e.method, "error": str(e.error), "occurrences": e.occurrences}
        for e in stats.errors.values()
    ]
    return {
        "seconds": round(elapsed, 1),
        "requests": total.num_requests,
        "failures": total.num_failures,
        "rps": round(total.num_requests / elapsed, 1),
        "p50_ms": total.get_response_time_percentile(0.5),
        "p95_ms": total.get_response_time_percentile(0.95),
        "endpoints": endpoints,
        "errors": errors,
    }


def write(result: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    suffix = "" if result["server"] == "gunicorn" else f"-{result['server']}"
    (RESULTS / f"load{suffix}.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        f"# Load test ({result['server']}, bench/load.py)",
        "",
        f"{result['users']} concurrent users for {result['seconds']} s (agents on the queue page and creating tickets, "
        f"external systems on the ticket list/search API, ticket creation and knowledge search) plus "
        f"{result['chats']} concurrent chats streaming answers from the local model (SSE), against 127.0.0.1 on "
        f"{result['cpus']} cores. Load average before/after: {result['loadavg_before']} / {result['loadavg_after']}"
        " (other work on the machine makes latencies noisy).",
        "",
        f"**{result['requests']} requests, {result['failures']} errors, {result['rps']} requests/s**; "
        f"p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms over all; "
        f"at most {result['db_connections_peak']} PostgreSQL connections to the database (web + worker).",
        "",
        "| endpoint | requests | errors | p50 ms | p95 ms | max ms | req/s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for e in result["endpoints"]:
        lines.append(
            f"| {e['method']} {e['name']} | {e['requests']} | {e['failures']} | {e['p50_ms']} | {e['p95_ms']} | "
            f"{e['max_ms']} | {e['rps']} |"
        )
    if result["errors"]:
        lines += ["", "Errors:", ""] + [
            f"- {e['method']} {e['name']}: {e['error']} ({e['occurrences']}x)" for e in result["errors"]
        ]
    (RESULTS / f"load{suffix}.md").write_text("\n".join(lines) + "\n")
    _plot(result, RESULTS / f"load{suffix}.png")


def _plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    endpoints = [e for e in result["endpoints"] if e["requests"]]
    names = [e["name"] for e in endpoints]
    fig, ax = plt.subplots(figsize=(10, 0.5 * len(names) + 1.5))
    positions = range(len(names))
    ax.barh([p + 0.2 for p in positions], [e["p50_ms"] for e in endpoints], height=0.4, label="p50")
    ax.barh([p - 0.2 for p in positions], [e["p95_ms"] for e in endpoints], height=0.4, label="p95")
    ax.set_yticks(list(positions), names)
    ax.set_xscale("log")
    ax.set_xlabel("response time, ms (log scale)")
    ax.set_title(
        f"{result['server']}: {result['users']} users + {result['chats']} SSE chats, {result['seconds']} s — "
        f"{result['requests']} requests, {result['failures']} errors, {result['rps']} req/s"
    )
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--chats", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--server", choices=["gunicorn", "uvicorn"], default="gunicorn")
    args = parser.parse_args()
    result = run(args)
    write(result)
    print(json.dumps({k: v for k, v in result.items() if k not in {"endpoints"}}, indent=2))
    return 0 if result["failures"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
