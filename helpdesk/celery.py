"""The tenant-aware Celery app: a task runs in the schema that was current when it was sent.

Send tasks with ``task.delay_on_commit(...)`` so that a worker never looks for a
row that is not committed yet.
"""

import os

from celery.signals import task_postrun, task_prerun
from tenant_schemas_celery.app import CeleryApp

from helpdesk.logging import request_id_var

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

app = CeleryApp("helpdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
def _bind_task_id(task_id: str | None = None, **kwargs: object) -> None:
    request_id_var.set(task_id or "-")


@task_postrun.connect
def _unbind_task_id(**kwargs: object) -> None:
    request_id_var.set("-")
