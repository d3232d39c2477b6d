"""The tenant-aware Celery app: a task runs in the schema that was current when it was sent.

Send tasks only with ``send_on_commit(task, ...)`` (or a task's name, for hooks named in settings):
a worker never looks for a row that is not committed yet, and a broker outage never fails the
caller nor the hooks that run after it. Work that must not be lost while the broker is down is
kept by its row (every queued row kind has a beat sweeper that sends it again) or, for work
without a row of its own such as mail, with ``keep=True`` in the unsent-task table.

Each queue has its own time limit (``CELERY_QUEUE_TIME_LIMITS``); the soft limit comes
``CELERY_SOFT_LIMIT_MARGIN_SECONDS`` earlier, so that a long job can stop itself with a reason.
"""

import fnmatch
import logging
import math
import os
from collections.abc import Callable
from typing import Any

from celery import Task
from celery.signals import task_postrun, task_prerun
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_noop
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import RedisError
from tenant_schemas_celery.app import CeleryApp

from helpdesk.logging import request_id_var
from helpdesk.stored_text import Duration, duration_text, stored_text

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

logger = logging.getLogger(__name__)


class QueueTimeLimits:
    """Task annotation (``CELERY_TASK_ANNOTATIONS``): the time limits of the queue a task is routed to,
    unless the task sets its own."""

    def annotate(self, task: Task) -> dict[str, int] | None:
        limit = time_limit_for(task.name)
        if limit is None:
            return None
        limits = {"time_limit": limit, "soft_time_limit": soft_limit(limit)}
        # Celery has already copied the global defaults onto the task: only those may be replaced.
        defaults = {"time_limit": app.conf.task_time_limit, "soft_time_limit": app.conf.task_soft_time_limit}
        return {k: v for k, v in limits.items() if getattr(task, k, None) in (None, defaults[k])}


app = CeleryApp("helpdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
def _bind_task_id(task_id: str | None = None, **kwargs: object) -> None:
    request_id_var.set(task_id or "-")


@task_postrun.connect
def _unbind_task_id(**kwargs: object) -> None:
    request_id_var.set("-")


# What publishing raises while the broker is unreachable (kombu wraps connection errors in its own).
BROKER_ERRORS: tuple[type[BaseException], ...] = (KombuOperationalError, RedisError, OSError)


def queue_for(name: str) -> str:
    """The queue ``CELERY_TASK_ROUTES`` sends the task ``name`` to (exact names and glob patterns)."""
    for pattern, route in getattr(settings, "CELERY_TASK_ROUTES", {}).items():
        if (pattern == name or fnmatch.fnmatchcase(name, pattern)) and isinstance(route, dict) and "queue" in route:
            return str(route["queue"])
    return str(app.conf.task_default_queue or "celery")


def time_limit_for(name: str) -> int | None:
    """The hard time limit in seconds of the task ``name``: its queue's, else ``CELERY_TASK_TIME_LIMIT``."""
    limits: dict[str, int] = getattr(settings, "CELERY_QUEUE_TIME_LIMITS", {})
    return limits.get(queue_for(name), getattr(settings, "CELERY_TASK_TIME_LIMIT", None))


def soft_limit(limit: int) -> int:
    margin = int(getattr(settings, "CELERY_SOFT_LIMIT_MARGIN_SECONDS", 60))
    return max(1, limit - margin) if limit > margin else max(1, limit * 9 // 10)


def stopped_reason(name: str) -> str:
    """What a job killed by its time limit stores: "Stopped: took longer than 1 h.", shown in the reader's
    language (``|shown``)."""
    limit = time_limit_for(name)
    if not limit:
        return stored_text(gettext_noop("Stopped: took too long."))
    return stored_text(gettext_noop("Stopped: took longer than %(limit)s."), limit=Duration(limit))


def job_estimate(name: str, seconds: float, warning: Callable[[str, str], str]) -> dict[str, Any]:
    """How long a job of the task ``name`` should take against its queue's limit, for pages and the API.

    ``warning(duration, limit)`` writes the warning shown when the job would pass the limit.
    """
    seconds = math.ceil(seconds)
    limit = time_limit_for(name)
    exceeds = bool(limit and seconds > limit)
    return {
        "seconds": seconds,
        "duration": duration_text(seconds),
        "limit_seconds": limit,
        "exceeds_limit": exceeds,
        "warning": warning(duration_text(seconds), duration_text(limit)) if exceeds and limit else "",
    }


def send_on_commit(
    task: Task | str,
    *args: object,
    on_sent: Callable[[], object] | None = None,
    countdown: float | None = None,
    keep: bool = False,
    **kwargs: object,
) -> None:
    """Publish ``task`` (a task, or a registered task's name) once the transaction commits, or at once outside one.

    A broker outage is logged instead of raised, so the caller's request and every later
    on-commit hook go on. The work must then be recoverable: its row's sweeper sends it again,
    or with ``keep=True`` the message is stored and a beat sweeper publishes it once the broker
    is back. ``on_sent`` runs only when the broker took the message.
    """
    name = task if isinstance(task, str) else task.name
    options: dict[str, Any] = {"ignore_result": True}
    if countdown is not None:
        options["countdown"] = max(0.0, float(countdown))

    def send() -> None:
        try:
            # Fire and forget: with a result backend Celery would also subscribe to the result in Redis
            # first, which fails with a RuntimeError (not a broker error) while Redis is down.
            if isinstance(task, str):
                app.send_task(task, args=args, kwargs=kwargs, **options)
            else:
                task.apply_async(args=args, kwargs=kwargs, **options)
        except BROKER_ERRORS as exc:
            logger.warning("broker unavailable, %s not queued now: %s", name, exc)
            if keep:
                _keep_unsent(name, args, kwargs)
            return
        if on_sent is not None:
            on_sent()

    transaction.on_commit(send, robust=True)


# Stores a message the broker refused, for a beat sweeper to publish later: helpdesk.tenants registers it
# from its AppConfig.ready() (this module is loaded before the app registry, so it cannot import models).
_unsent_keeper: Callable[..., object] | None = None


def unsent_keeper_register(keeper: Callable[..., object]) -> None:
    global _unsent_keeper
    _unsent_keeper = keeper


def _keep_unsent(name: str, args: tuple[object, ...], kwargs: dict[str, object]) -> None:
    if _unsent_keeper is None:
        logger.error("no store for unsent tasks is registered: %s is lost", name)
        return
    try:
        _unsent_keeper(name=name, args=list(args), kwargs=kwargs)
    except Exception:  # the database may be what failed; the caller's work is saved either way
        logger.exception("could not keep the unsent task %s", name)
