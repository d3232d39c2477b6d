"""One abusive visitor against everyone else: normal users' latency and errors with and without the abuser.

The stack of bench/load.py (gunicorn as ``make run`` starts it, its own database ``helpdesk_bench_abuse``
and Redis) with every Celery process of the Procfile (plus a worker for any queue the settings route
tasks to that no Procfile line consumes), behind one reverse proxy as the README documents it
(``PROXY_COUNT=1``: each simulated visitor has its own address in X-Forwarded-For). The tenant acme has
an outgoing webhook for every ticket event. Two phases of ``--seconds`` each, on the same running stack:

1. baseline: ``--users`` (20) normal users work: agents on the queue, ticket pages, replies and new
   tickets; integrations on the ticket and knowledge API; customers submitting portal requests, reading
   their status page and replying. The webhook's receiver (127.0.0.1) answers at once.
2. abuse: the same users, while one client address (its own process) floods
   ``POST /portal/t/<token>/reply/`` of one status link with ``--files`` screenshots per post as fast
   as it can on ``--streams`` connections, and the webhook points at a receiver that answers one byte
   per second (for a day).

A 429 or a refused form of the abuser is the product defending itself, not a normal user's error.
Target: the normal users' p95 and error count in phase 2 within 20 % of phase 1. Writes
bench/results/abuse.{json,md} (``--quick``: 15 s phases, bench/results/abuse.quick.{json,md}).

    make bench-abuse                      # or: .venv/bin/python bench/abuse.py [--seconds 60] [--quick]
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
import shutil  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

import gevent  # noqa: E402
import gevent.event  # noqa: E402
from gevent.server import StreamServer  # noqa: E402
from locust import HttpUser, between, events, task  # noqa: E402
from locust.env import Environment  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench import load  # noqa: E402
from helpdesk import devstack  # noqa: E402

RESULTS = ROOT / "bench" / "results"
DATABASE = "helpdesk_bench_abuse"
HOST = load.HOST
ABUSER_ADDRESS = "203.0.113.66"  # one address (TEST-NET-3) for every request of the abuser
TARGET = 1.20  # phase 2 may be at most 20 % worse than phase 1
DRIP_BYTES = 86_400  # one byte a second: a day
# A fixed Fernet key: the bench database keeps the webhook secrets it encrypted between runs.
INTEGRATIONS_KEY = "YmVuY2gtYWJ1c2UtaW50ZWdyYXRpb25zLWtleS0wMTI="
RECEIVER, DRIPPER = "bench-abuse receiver", "bench-abuse dripper"


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    return match.group(1) if match else ""


def visitor_address() -> str:
    """A client address of its own (10/8) for one simulated person."""
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


# --- The system under test ------------------------------------------------------------------------


def procfile_processes(var_dir: Path) -> tuple[list[list[str]], set[str]]:
    """Every process of the Procfile but ``web`` (the Stack starts that), run through the shell as honcho
    runs them, with the queues its Celery workers consume."""
    commands: list[list[str]] = []
    queues: set[str] = set()
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, sep, command = line.partition(":")
        if not sep or name.strip().startswith("#") or name.strip() == "web":
            continue
        command = re.sub(r"--loglevel[= ]\S+", "--loglevel=WARNING", command.strip())
        command = re.sub(r"--schedule[= ]\S+", f"--schedule={var_dir / 'celerybeat-schedule'}", command)
        if re.search(r"\bcelery\b.*\bworker\b", command):
            match = re.search(r"(?:-Q|--queues)[= ](\S+)", command)
            named = match.group(1) if match else "celery"
            # The shell's ${NAME:-default}, as sh expands it when the command runs.
            named = re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: os.environ.get(m.group(1)) or m.group(2), named)
            queues.update(named.split(","))
        commands.append(["sh", "-c", f"exec {command}"])
    return commands, queues


# The queues tasks can land on: the default one, the routes, and queues named on the tasks themselves.
QUEUES_OF_TASKS = """
import json
from helpdesk.celery import app
app.loader.import_default_modules()
routes = app.conf.task_routes or {}
queues = {app.conf.task_default_queue or "celery"}
for route in routes.values() if isinstance(routes, dict) else []:
    if isinstance(route, dict) and route.get("queue"):
        queues.add(route["queue"])
queues |= {t.queue for t in app.tasks.values() if isinstance(getattr(t, "queue", None), str)}
print(json.dumps(sorted(queues)))
"""


class AbuseStack(load.Stack):
    """bench/load.py's stack with the Procfile's Celery processes; files and mail under its own VAR_DIR."""

    def __init__(self) -> None:
        var = devstack.layout().var_dir
        super().__init__(
            "gunicorn",
            name="bench-abuse",
            database=DATABASE,
            extra_env={
                # The flood's files and mail stay out of `make run`'s var/; static files and models are shared.
                "VAR_DIR": str(var / "bench-abuse"),
                "MODELS_DIR": os.environ.get("MODELS_DIR") or str(var / "models"),
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
                "PROXY_COUNT": "1",
                "OUTBOUND_ALLOWED_NETWORKS": "127.0.0.1/32",  # the webhook receivers are on loopback
                "INTEGRATIONS_KEYS": INTEGRATIONS_KEY,
            },
        )
        self.queues: list[str] = []

    def start(self) -> None:
        var = self.layout.var_dir
        var.mkdir(parents=True, exist_ok=True)
        for folder in ("media", "mail"):  # a fresh start: last run's flood is not this one's disk
            shutil.rmtree(var / folder, ignore_errors=True)
        static = var / "static"
        if not static.is_symlink():
            shutil.rmtree(static, ignore_errors=True)
            (devstack.layout().var_dir / "static").mkdir(parents=True, exist_ok=True)
            static.symlink_to(devstack.layout().var_dir / "static")
        super().start()

    def worker_commands(self) -> list[list[str]]:
        commands, served = procfile_processes(self.layout.var_dir)
        missing = sorted(set(self.shell(QUEUES_OF_TASKS)) - served)
        if missing:  # a queue with no Procfile line yet: one worker for it, as an operator would add
            commands.append(
                [
                    *(sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "-Q", ",".join(missing)),
                    *("-n", "bench-extra@%h", "--concurrency=1", "--loglevel=WARNING"),
                ]
            )
        self.queues = sorted(served | set(missing))
        return commands

    def shell(self, code: str) -> Any:
        """Run ``code`` in ``manage.py shell``; its last printed line is JSON."""
        return json.loads(self.manage("shell", "-c", code).strip().splitlines()[-1])

    def stop(self) -> None:
        super().stop()
        shutil.rmtree(self.layout.redis_dir(self.redis_port), ignore_errors=True)  # the flood's backlog


WEBHOOK_SETUP = """
import json
from django_tenants.utils import schema_context
from integrations.models import WebhookEndpoint, WebhookEvent
from integrations.events import services
with schema_context("acme"):
    WebhookEndpoint.objects.filter(description__startswith="bench-abuse").delete()
    endpoint, _ = services.endpoint_create(url=%(url)r, events=list(WebhookEvent.values), description=%(name)r)
    print(json.dumps(endpoint.pk))
"""
# Deactivate the well-behaved receiver and point a new endpoint at the dripper (same events).
WEBHOOK_SWITCH = """
import json
from django_tenants.utils import schema_context
from integrations.models import WebhookEndpoint, WebhookEvent
from integrations.events import services
with schema_context("acme"):
    WebhookEndpoint.objects.filter(description=%(old)r).update(active=False)
    endpoint, _ = services.endpoint_create(url=%(url)r, events=list(WebhookEvent.values), description=%(name)r)
    print(json.dumps(endpoint.pk))
"""
DELIVERIES = """
import json
from django.db.models import Count
from django_tenants.utils import schema_context
from integrations.models import WebhookDelivery
with schema_context("acme"):
    rows = WebhookDelivery.objects.filter(endpoint__description__startswith="bench-abuse")
    rows = rows.order_by().values_list("endpoint__description", "status").annotate(n=Count("id"))
    out = {}
    for name, status, n in rows:
        out.setdefault(name, {})[status] = n
    print(json.dumps(out))
"""


def deliveries(stack: AbuseStack) -> dict[str, dict[str, int]]:
    """Per bench endpoint: deliveries by status, and how many have finished (done or failed) or not."""
    counts: dict[str, dict[str, int]] = stack.shell(DELIVERIES)
    for by_status in counts.values():
        by_status["finished"] = by_status.get("done", 0) + by_status.get("failed", 0)
        by_status["stuck"] = by_status.get("pending", 0) + by_status.get("running", 0)
    return counts


class Receiver:
    """A webhook receiver on 127.0.0.1: answers at once, or (``drip``) sends its answer one byte a second."""

    def __init__(self, *, drip: bool) -> None:
        self.drip = drip
        self.server = StreamServer(("127.0.0.1", 0), self.handle)
        self.received = self.open = self.answered = self.hung_up = self.bytes_sent = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hook"

    def start(self) -> None:
        self.server.start()

    def stop(self) -> None:
        self.server.stop(timeout=1)

    def counts(self) -> dict[str, int]:
        return {
            "received": self.received,
            "open": self.open,
            "answered": self.answered,
            "hung_up_by_sender": self.hung_up,
            "bytes_sent": self.bytes_sent,
        }

    def handle(self, sock: Any, address: Any) -> None:
        self.received += 1
        self.open += 1
        try:
            _read_request(sock)
            if not self.drip:
                sock.sendall(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
                self.answered += 1
                return
            head = f"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {DRIP_BYTES}\r\n\r\n".encode()
            for byte in head + b"." * DRIP_BYTES:
                sock.sendall(bytes([byte]))
                self.bytes_sent += 1
                gevent.sleep(1)
            self.answered += 1
        except OSError:  # the sender gave up and closed the connection
            self.hung_up += 1
        finally:
            self.open -= 1
            sock.close()


def _read_request(sock: Any) -> None:
    sock.settimeout(30)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionResetError("closed before the request was complete")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    remaining = int(length.group(1)) - len(body) if length else 0
    while remaining > 0:
        chunk = sock.recv(min(remaining, 65536))
        if not chunk:
            raise ConnectionResetError("closed before the body was complete")
        remaining -= len(chunk)


# --- The normal users -----------------------------------------------------------------------------


WORKING: set[int] = set()  # the normal users that have had an answer to a request


class Counted:
    """Tags a user's requests, so that ``settle`` sees when every user has had an answer."""

    def context(self) -> dict[str, int]:
        return {"bench_user": id(self)}


@events.request.add_listener
def _answered(context: dict[str, Any], **_: Any) -> None:
    if "bench_user" in context:
        WORKING.add(context["bench_user"])


class Agent(Counted, load.Agent):
    """bench/load.py's agent (queue page, new tickets) who also reads tickets and answers them."""

    weight = 2

    def on_start(self) -> None:
        self.client.headers["X-Forwarded-For"] = visitor_address()
        super().on_start()
        page = self.client.get("/tickets/", params={"status": "open"}, name="queue page")
        self.numbers = sorted({int(n) for n in re.findall(r'href="/tickets/(\d+)/"', page.text)}) or [1]

    @task(3)
    def ticket_page(self) -> None:
        self.client.get(f"/tickets/{random.choice(self.numbers)}/", name="ticket page")

    @task(1)
    def reply(self) -> None:
        number = random.choice(self.numbers)
        page = self.client.get(f"/tickets/{number}/", name="ticket page")
        body = random.choice(["Thanks, we are looking into it.", "Здравствуйте! Проверили, всё работает."])
        with self.client.post(
            f"/tickets/{number}/reply/",
            {"kind": "public", "body": body, "csrfmiddlewaretoken": csrf_token(page.text)},
            headers={"Referer": f"http://{HOST}/tickets/{number}/"},
            name="reply (page)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"expected a redirect back to the ticket, got {response.status_code}")


class ExternalSystem(Counted, load.ExternalSystem):
    """bench/load.py's integration: ticket list/search/creation and knowledge search over the API."""

    weight = 2


class Customer(Counted, HttpUser):
    """Customers on the portal: each round a new person (own address) submits, reads the status page, replies."""

    weight = 1
    wait_time = between(2, 5)

    def on_start(self) -> None:
        self.client.headers["Host"] = HOST

    def _post(self, path: str, data: dict[str, str], headers: dict[str, str], name: str) -> str | None:
        """POST a portal form; the path it redirects to, or None (recorded as a failure)."""
        with self.client.post(
            path,
            data,
            headers={**headers, "Referer": f"http://{HOST}{path}"},
            name=name,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"expected a redirect to the status page, got {response.status_code}")
                return None
            return urlsplit(response.headers["Location"]).path

    @task
    def request_and_reply(self) -> None:
        self.client.cookies.clear()
        headers = {"X-Forwarded-For": visitor_address()}
        form = self.client.get("/portal/", headers=headers, name="portal form")
        n = random.randint(1, 10**6)
        status = self._post(
            "/portal/",
            {
                "email": f"customer{n}@example.org",
                "name": random.choice(["Jane Customer", "Иван Петров"]),
                "subject": random.choice(["Cannot sign in", "Не приходит счёт"]) + f" #{n}",
                "description": "Created by bench/abuse.py",
                "website": "",
                "csrfmiddlewaretoken": csrf_token(form.text),
            },
            headers,
            "portal submit",
        )
        if status is None:
            return
        page = self.client.get(status, headers=headers, name="portal status page")
        data = {"body": "Any news? / Есть новости?", "csrfmiddlewaretoken": csrf_token(page.text)}
        self._post(f"{status.rstrip('/')}/reply/", data, headers, "portal reply")


# --- The abuser (its own process) -----------------------------------------------------------------


def flood(base: str, streams: int, files: int) -> dict[str, Any]:
    """Open a request on the portal from one address, then post replies with ``files`` screenshots each
    on ``streams`` connections, without pause, until SIGTERM. Counts of what the server answered."""
    import requests

    from assistants.vision import samples

    headers = {"Host": HOST, "X-Forwarded-For": ABUSER_ADDRESS}
    session = requests.Session()
    session.headers.update(headers)
    form = session.get(f"{base}/portal/", timeout=60)
    submit = session.post(
        f"{base}/portal/",
        {
            "email": f"flood-{secrets.token_hex(4)}@abuser.example",
            "subject": "Flood",
            "description": "bench/abuse.py",
            "website": "",
            "csrfmiddlewaretoken": csrf_token(form.text),
        },
        headers={"Referer": f"http://{HOST}/portal/"},
        allow_redirects=False,
        timeout=60,
    )
    if submit.status_code != 302:
        return {"error": f"the portal did not take the abuser's request: {submit.status_code}"}
    reply_path = f"{urlsplit(submit.headers['Location']).path.rstrip('/')}/reply/"
    screenshots = [
        samples.encode(
            samples.dialog(
                [f"Error 0x{random.getrandbits(32):08X}: the operation failed", f"Request id {secrets.token_hex(8)}"],
                size=(1280, 720),
                title=f"Something went wrong ({i})",
            )
        )
        for i in range(files)
    ]
    request = requests.Request(
        "POST",
        f"{base}{reply_path}",
        data={"body": "Look at these screenshots", "csrfmiddlewaretoken": csrf_token(form.text)},
        files=[("attachments", (f"screen-{i}.png", png, "image/png")) for i, png in enumerate(screenshots)],
    ).prepare()
    body, content_type = request.body, request.headers["Content-Type"]
    counts = {"accepted": 0, "rate_limited": 0, "rejected": 0, "server_errors": 0, "connection_errors": 0}
    statuses: dict[str, int] = {}
    stop = gevent.event.Event()
    gevent.signal_handler(signal.SIGTERM, stop.set)

    def stream() -> None:
        own = requests.Session()
        own.headers.update(headers)
        own.cookies.update(session.cookies)
        while not stop.is_set():
            try:
                response = own.post(
                    f"{base}{reply_path}",
                    data=body,
                    headers={"Content-Type": content_type, "Referer": f"http://{HOST}{reply_path}"},
                    allow_redirects=False,
                    timeout=60,
                )
            except requests.RequestException:
                counts["connection_errors"] += 1
                gevent.sleep(0.1)
                continue
            code = response.status_code
            statuses[str(code)] = statuses.get(str(code), 0) + 1
            if code < 400:
                counts["accepted"] += 1
            elif code == 429:
                counts["rate_limited"] += 1
            elif code < 500:
                counts["rejected"] += 1  # a form error (too many files, a cap) or another refusal
            else:
                counts["server_errors"] += 1

    started = time.monotonic()
    jobs = [gevent.spawn(stream) for _ in range(streams)]
    print("flooding", flush=True)
    gevent.joinall(jobs)
    elapsed = time.monotonic() - started
    total = sum(counts.values())
    return {
        "address": ABUSER_ADDRESS,
        "streams": streams,
        "files_per_post": files,
        "bytes_per_post": len(body or b""),
        "seconds": round(elapsed, 1),
        "posts": total,
        "posts_per_second": round(total / elapsed, 1) if elapsed else 0,
        **counts,
        "files_accepted": counts["accepted"] * files,
        "statuses": statuses,
    }


class Abuser:
    """The flood in its own process, so that its loop does not slow the normal users' client."""

    def __init__(self, port: int, streams: int, files: int) -> None:
        cmd = [sys.executable, __file__, "--flood", f"http://127.0.0.1:{port}", "--streams", str(streams)]
        cmd += ["--files", str(files)]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)

    def wait_until_flooding(self) -> None:
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if line.strip() != "flooding":
            raise SystemExit(f"the abuser did not start: {line.strip() or self.proc.wait()}")

    def stop(self) -> dict[str, Any]:
        self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=120)
        return dict(json.loads(out.strip().splitlines()[-1]))


# --- Running and reporting ------------------------------------------------------------------------


class QueueWatch:
    """Length of every Celery queue once a second: the most and the last of the current phase."""

    def __init__(self, port: int, queues: list[str]) -> None:
        import redis

        self.redis = redis.Redis(port=port)
        self.queues = queues
        self.most: dict[str, int] = dict.fromkeys(queues, 0)
        self.last: dict[str, int] = dict.fromkeys(queues, 0)
        self.greenlet = gevent.spawn(self._loop)

    def _loop(self) -> None:
        while True:
            for queue in self.queues:
                self.last[queue] = int(self.redis.llen(queue))
                self.most[queue] = max(self.most[queue], self.last[queue])
            gevent.sleep(1)

    def take(self) -> dict[str, dict[str, int]]:
        taken = {"most": dict(self.most), "at_end": dict(self.last)}
        self.most = dict(self.last)
        return taken


def settle(users: int, seconds: int) -> None:
    """Until every user has had an answer (a first request that loads a model in a web worker can take a
    minute on busy cores), then ``seconds`` more: the phases measure users at work, not arriving."""
    deadline = time.monotonic() + 300
    while len(WORKING) < users and time.monotonic() < deadline:
        gevent.sleep(1)
    if len(WORKING) < users:
        raise SystemExit(f"only {len(WORKING)} of {users} users had an answer within 300 s")
    gevent.sleep(seconds)


def phase(env: Environment, seconds: int, watch: QueueWatch) -> dict[str, Any]:
    """The normal users' figures over ``seconds`` from now."""
    env.stats.reset_all()
    watch.take()
    load_before = os.getloadavg()
    started = time.monotonic()
    gevent.sleep(seconds)
    result = load.summary(env.stats, time.monotonic() - started)
    result["queues"] = watch.take()
    result["loadavg_before"] = [round(x, 2) for x in load_before]
    result["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    return result


def run(args: argparse.Namespace) -> dict[str, Any]:
    stack = AbuseStack()
    print("starting the stack ...", flush=True)
    stack.start()
    receiver, dripper = Receiver(drip=False), Receiver(drip=True)
    receiver.start()
    dripper.start()
    abuser: Abuser | None = None
    try:
        load.API_KEYS, _ = stack.api_keys(max(5, args.users // 5))
        stack.shell(WEBHOOK_SETUP % {"url": receiver.url, "name": RECEIVER})
        env = Environment(
            user_classes=[Agent, ExternalSystem, Customer], events=events, host=f"http://127.0.0.1:{stack.web_port}"
        )
        runner = env.create_local_runner()
        load._warm_up(stack.web_port, chat=False)
        watch = QueueWatch(stack.redis_port, stack.queues)
        runner.start(args.users, spawn_rate=args.users)
        settle(args.users, args.warmup)
        print(f"phase 1: {args.users} users, no abuser, {args.seconds} s ...", flush=True)
        baseline = phase(env, args.seconds, watch)
        baseline["receiver"] = receiver.counts()
        stack.shell(WEBHOOK_SWITCH % {"old": RECEIVER, "url": dripper.url, "name": DRIPPER})
        abuser = Abuser(stack.web_port, args.streams, args.files)
        abuser.wait_until_flooding()
        print(f"phase 2: {args.users} users with the abuser, {args.seconds} s ...", flush=True)
        abused = phase(env, args.seconds, watch)
        flooded = abuser.stop()
        abuser = None
        webhooks = deliveries(stack)
        abused["receiver"] = dripper.counts()  # when the deliveries were counted: "open" are the running ones
        runner.quit()
    finally:
        if abuser is not None:
            abuser.proc.kill()
        receiver.stop()
        dripper.stop()
        stack.stop()
    p95_ok = abused["p95_ms"] <= baseline["p95_ms"] * TARGET
    errors_ok = abused["failures"] <= baseline["failures"] * TARGET
    return {
        "users": args.users,
        "seconds_per_phase": args.seconds,
        "warmup_seconds": args.warmup,
        "cpus": os.cpu_count(),
        "worker_queues": stack.queues,
        "baseline": baseline,
        "abuse": abused,
        "abuser": flooded,
        "webhook_deliveries": {
            "receiver (phase 1)": webhooks.get(RECEIVER, {}),
            "dripper (phase 2)": webhooks.get(DRIPPER, {}),
        },
        "target": {
            "p95_ms_at_most": round(baseline["p95_ms"] * TARGET, 1),
            "failures_at_most": int(baseline["failures"] * TARGET),
            "p95_ok": p95_ok,
            "errors_ok": errors_ok,
            "passed": p95_ok and errors_ok,
        },
    }


def write(result: dict[str, Any], name: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    base, abused, flooded, target = result["baseline"], result["abuse"], result["abuser"], result["target"]
    lines = [
        "# One abuser against everyone else (bench/abuse.py)",
        "",
        f"{result['users']} normal users (agents on pages, integrations on the API, portal customers) for "
        f"{result['seconds_per_phase']} s without, then {result['seconds_per_phase']} s with one client address "
        f"flooding portal replies ({flooded.get('files_per_post')} screenshots a post, "
        f"{flooded.get('streams')} connections) and the tenant's webhook receiver answering one byte a second; "
        f"{result['cpus']} cores, Celery queues {', '.join(result['worker_queues'])}.",
        "",
        f"**Target (phase 2 within 20 % of phase 1): {'passed' if target['passed'] else 'FAILED'}** — "
        f"p95 {abused['p95_ms']} ms (at most {target['p95_ms_at_most']}: {'ok' if target['p95_ok'] else 'no'}), "
        f"errors {abused['failures']} (at most {target['failures_at_most']}: {'ok' if target['errors_ok'] else 'no'}).",
        "",
        "| normal users | requests | errors | p50 ms | p95 ms | req/s | load avg (1 min) before → after |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for label, p in (("without the abuser", base), ("with the abuser", abused)):
        lines.append(
            f"| {label} | {p['requests']} | {p['failures']} | {p['p50_ms']} | {p['p95_ms']} | {p['rps']} | "
            f"{p['loadavg_before'][0]} → {p['loadavg_after'][0]} |"
        )
    lines += ["", "Per endpoint (p95 ms without → with the abuser; errors in brackets):", ""]
    before = {(e["method"], e["name"]): e for e in base["endpoints"]}
    for e in abused["endpoints"]:
        b = before.get((e["method"], e["name"]), {})
        if not e["requests"] and not b.get("requests"):
            continue
        lines.append(
            f"- {e['method']} {e['name']}: {b.get('p95_ms', '–')} ({b.get('failures', 0)}) → "
            f"{e['p95_ms']} ({e['failures']})"
        )
    if "error" in flooded:
        lines += ["", f"The abuser could not start: {flooded['error']}"]
    else:
        lines += [
            "",
            f"The abuser: {flooded['posts']} posts in {flooded['seconds']} s ({flooded['posts_per_second']}/s): "
            f"{flooded['accepted']} accepted ({flooded['files_accepted']} files), {flooded['rate_limited']} "
            f"rate-limited (429), {flooded['rejected']} refused (other 4xx), {flooded['server_errors']} 5xx, "
            f"{flooded['connection_errors']} connection errors; statuses {flooded['statuses']}.",
        ]
    hooks = result["webhook_deliveries"]
    drip, receiver = hooks["dripper (phase 2)"], hooks["receiver (phase 1)"]
    lines += [
        "",
        f"Webhook deliveries to the dripper: {drip.get('finished', 0)} finished, {drip.get('stuck', 0)} not "
        f"(pending or running) at the end; the dripper saw {abused['receiver']['received']} connections, "
        f"{abused['receiver']['open']} still open, {abused['receiver']['hung_up_by_sender']} closed by the sender. "
        f"To the well-behaved receiver (phase 1): {receiver.get('finished', 0)} finished, "
        f"{receiver.get('stuck', 0)} not.",
        "",
        "Celery queue lengths (most / at the end): "
        + "; ".join(
            f"{label}: "
            + ", ".join(f"{q} {p['queues']['most'][q]}/{p['queues']['at_end'][q]}" for q in result["worker_queues"])
            for label, p in (("without", base), ("with the abuser", abused))
        ),
    ]
    errors = [("without", e) for e in base["errors"]] + [("with", e) for e in abused["errors"]]
    if errors:
        lines += ["", "Normal users' errors:", ""] + [
            f"- {label} the abuser: {e['method']} {e['name']}: {e['error']} ({e['occurrences']}x)"
            for label, e in errors
        ]
    (RESULTS / f"{name}.md").write_text("\n".join(lines) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20, help="normal users")
    parser.add_argument("--seconds", type=int, default=60, help="length of each phase")
    parser.add_argument("--warmup", type=int, default=20, help="seconds of work before phase 1 (after sign-in)")
    parser.add_argument("--quick", action="store_true", help="15 s phases, results in abuse.quick.*")
    parser.add_argument("--streams", type=int, default=2, help="the abuser's parallel connections")
    parser.add_argument("--files", type=int, default=8, help="screenshots per abusive post")
    parser.add_argument("--flood", metavar="URL", help=argparse.SUPPRESS)  # the abuser's own process
    args = parser.parse_args()
    if args.flood:
        print(json.dumps(flood(args.flood, args.streams, args.files)), flush=True)
        return 0
    if args.quick:
        args.seconds, args.warmup = 15, 10
    result = run(args)
    write(result, "abuse.quick" if args.quick else "abuse")
    print(json.dumps({k: v for k, v in result.items() if k not in {"baseline", "abuse"}}, indent=2))
    for label in ("baseline", "abuse"):
        p = result[label]
        print(f"{label}: {p['requests']} requests, {p['failures']} errors, p50 {p['p50_ms']} ms, p95 {p['p95_ms']} ms")
    return 0 if result["target"]["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
