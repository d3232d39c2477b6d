"""Liveness and dependency checks: /health and /health/deps.

Each check returns ``(ok, error)`` or ``(ok, error, details)``; the view times them and answers
503 when a required one fails. Apps add checks through ``settings.HEALTH_CHECKS``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from helpdesk.celery import app
from helpdesk.ops import ops_authorized

Check = Callable[[], tuple[bool, str | None] | tuple[bool, str | None, dict[str, object]]]


def check_database() -> tuple[bool, str | None]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return True, None


def _redis_client() -> redis.Redis:
    timeout = settings.HEALTH_TIMEOUT_SECONDS
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=timeout, socket_connect_timeout=timeout)


def check_redis() -> tuple[bool, str | None]:
    _redis_client().ping()
    return True, None


def check_celery() -> tuple[bool, str | None]:
    timeout = settings.HEALTH_TIMEOUT_SECONDS
    with app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
        conn.ensure_connection(max_retries=1, timeout=timeout)
        replies = app.control.ping(timeout=timeout, limit=1, connection=conn)
    if not replies:
        return False, f"no Celery worker answered within {timeout:.1f} s"
    return True, None


def run_checks() -> dict[str, dict[str, object]]:
    results: dict[str, dict[str, object]] = {}
    budget = settings.HEALTH_TIMEOUT_SECONDS + 1
    for name, path in settings.HEALTH_CHECKS.items():
        check: Check = import_string(path)
        started = time.perf_counter()
        ok, error, details = False, None, {}
        try:
            if name == "database":  # Django connections are per thread: run it here.
                outcome = check()
            else:
                with ThreadPoolExecutor(max_workers=1) as pool:
                    outcome = pool.submit(check).result(timeout=budget)
            ok, error = outcome[0], outcome[1]
            details = outcome[2] if len(outcome) > 2 else {}
        except FutureTimeout:
            error = f"timed out after {budget:.1f} s"
        except Exception as exc:  # every failure becomes a readable reason
            error = f"{type(exc).__name__}: {exc}"
        results[name] = {
            "ok": ok,
            "latency_ms": round((time.perf_counter() - started) * 1000, 2),
            "error": error,
            "required": name in settings.HEALTH_REQUIRED,
            **details,
        }
    return results


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def health_deps(request: HttpRequest) -> JsonResponse:
    results = run_checks()
    healthy = all(r["ok"] for r in results.values() if r["required"])
    if not ops_authorized(request):
        # Which dependency fails is public; why (hosts, ports, driver messages) is for operators.
        for name, result in results.items():
            results[name] = {key: result[key] for key in ("ok", "latency_ms", "error", "required")}
            if result["error"]:
                results[name]["error"] = "failing (details for operators: METRICS_TOKEN or an allowed address)"
    return JsonResponse({"status": "ok" if healthy else "fail", **results}, status=200 if healthy else 503)
