"""The production web server, one file for the Procfile (`make run`), the Dockerfile and docker-compose.yml.

gunicorn with threaded (gthread) workers: WEB_WORKERS processes serve WEB_THREADS requests each at
once. A streamed answer (server-sent events) holds one thread while it streams, so 20 open streams
still leave threads for pages; idle keep-alive connections hold none. bench/results/load.md has the
figures this choice was made on (gthread against uvicorn with the ASGI app).

Database connections are bounded: each worker process has one psycopg pool of WEB_THREADS
connections (DB_POOL_MAX_SIZE), so the web server never holds more than workers x threads, whatever
the clients do. Count the Celery worker (its processes + 1) and beat (1) on top of that and stay
below PostgreSQL's max_connections (100 by default; the embedded server's too).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from dotenv import load_dotenv

# Nothing of the project is imported here: the master process must not load prometheus_client (or
# Django) before PROMETHEUS_MULTIPROC_DIR is set below, or the forked workers would inherit that state.
load_dotenv(os.environ.get("ENV_FILE") or Path(__file__).resolve().parent / ".env", override=False)


def env_str(name: str, default: str) -> str:
    return os.environ.get(name) or default


def env_int(name: str, default: int, *, minimum: int, maximum: int | None = None) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        value = int(raw) if raw else default
    except ValueError:
        raise SystemExit(f"{name}={raw!r} is not an integer") from None
    if value < minimum or (maximum is not None and value > maximum):
        raise SystemExit(f"{name}={value} is outside {minimum}..{maximum if maximum is not None else 'any'}")
    return value


workers = env_int("WEB_WORKERS", 2, minimum=1, maximum=64)
threads = env_int("WEB_THREADS", 24, minimum=1, maximum=256)
worker_class = "gthread"
bind = [f"{env_str('WEB_BIND', '0.0.0.0')}:{env_int('WEB_PORT', 8000, minimum=1, maximum=65535)}"]  # noqa: S104
wsgi_app = "helpdesk.wsgi:application"

# A worker whose main loop stops answering for this long is replaced; requests themselves (a long
# stream) do not count against it in gthread workers.
timeout = env_int("WEB_TIMEOUT_SECONDS", 60, minimum=5)
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then (jittered, so not all at once) to bound slow leaks; models reload lazily.
max_requests = env_int("WEB_MAX_REQUESTS", 20000, minimum=0)
max_requests_jitter = max_requests // 10
# Heartbeat files in memory, not on a container's overlay file system.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
# Proxies whose X-Forwarded-Proto is trusted (gunicorn's own default: 127.0.0.1).
forwarded_allow_ips = env_str("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
accesslog = "-"
errorlog = "-"
loglevel = env_str("LOG_LEVEL", "INFO").lower()
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s" %({x-request-id}o)s'
proc_name = "helpdesk-web"

# Every thread of a worker can hold one connection from its process's pool, and no more.
os.environ.setdefault("DB_POOL_MAX_SIZE", str(threads))

# Prometheus counters from every worker process, summed at scrape time (prometheus_client's
# multiprocess mode, read by helpdesk.ops.metrics). The folder is emptied when the server starts.
_METRICS_DIR = os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR",
    str(Path(env_str("VAR_DIR", str(Path(__file__).resolve().parent / "var"))) / "prometheus-web"),
)


def on_starting(server: Any) -> None:
    path = Path(_METRICS_DIR)
    if path.exists():
        shutil.rmtree(path, ignore_errors=True)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:  # a read-only application folder: fall back to a private temporary one
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="helpdesk-metrics-")
    server.log.info(
        "web: %d workers x %d threads; at most %d PostgreSQL connections from the web server",
        workers,
        threads,
        workers * int(os.environ["DB_POOL_MAX_SIZE"]),
    )


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


# gunicorn 27's control socket defaults to one path per user ($HOME/.gunicorn/gunicorn.ctl): a
# second server on the machine (a test, a benchmark) would take it over. Nothing here uses it.
control_socket_disable = True
