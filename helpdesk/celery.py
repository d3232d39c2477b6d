"""The tenant-aware Celery app: a task runs in the schema that was current when it was sent.

Send tasks with ``task.delay_on_commit(...)`` so that a worker never looks for a
row that is not committed yet.
"""

import logging
import os
from collections.abc import Callable

from celery import Task
from celery.signals import task_postrun, task_prerun
from django.db import transaction
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import RedisError
from tenant_schemas_celery.app import CeleryApp

from helpdesk.logging import request_id_var

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

logger = logging.getLogger(__name__)

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


def send_on_commit(task: Task, *args: object, on_sent: Callable[[], object] | None = None, **kwargs: object) -> None:
    """Publish ``task`` once the transaction commits; a broker outage is logged instead of failing the caller.

    The work must be recoverable by other means then (knowledge's sweeper re-queues documents
    that were never queued); ``on_sent`` runs only when the broker took the message.
    """

    def send() -> None:
        try:
            # Fire and forget: with a result backend Celery would also subscribe to the result in Redis
            # first, which fails with a RuntimeError (not a broker error) while Redis is down.
            task.apply_async(args=args, kwargs=kwargs, ignore_result=True)
        except BROKER_ERRORS as exc:
            logger.warning("broker unavailable, %s not queued now: %s", task.name, exc)
            return
        if on_sent is not None:
            on_sent()

    transaction.on_commit(send)
