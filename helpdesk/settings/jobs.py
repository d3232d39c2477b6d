"""Background jobs: nothing vanishes while the broker is down, nothing runs forever.

Hard and soft time limits per Celery queue, the re-sending of unsent tasks, and the sweeps that stop jobs
without a heartbeat (their beat entries are in ``helpdesk/settings/__init__.py``).
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from helpdesk.env import env_float, env_int, env_list
from helpdesk.settings.lora import LORA_QUEUE


def _queue_limits(name: str, default: list[str]) -> dict[str, int]:
    limits = {}
    for item in env_list(name, default):
        queue, _, seconds = item.partition("=")
        if not queue.strip() or not seconds.strip().isdigit() or int(seconds) < 1:
            raise ImproperlyConfigured(f"{name}: {item!r} is not queue=seconds (e.g. training=43200)")
        limits[queue.strip()] = int(seconds)
    return limits


# Hard time limit of the tasks of each Celery queue ("queue=seconds", comma-separated); other queues keep
# CELERY_TASK_TIME_LIMIT. LoRA training on a CPU takes hours (5000 pairs x 3 epochs at ~1.4 s a step).
CELERY_QUEUE_TIME_LIMITS = _queue_limits("CELERY_QUEUE_TIME_LIMITS", [f"{LORA_QUEUE}=43200"])
# The soft limit comes this much earlier, so that a long job stops itself with the reason.
CELERY_SOFT_LIMIT_MARGIN_SECONDS = env_int("CELERY_SOFT_LIMIT_MARGIN_SECONDS", 60, minimum=1)
# Rows queued this long without a worker taking them are sent again; a running dataset run or screenshot
# analysis without a heartbeat for JOBS_STALE_SECONDS is stopped with the reason (LoRA: LORA_STALE_SECONDS).
JOBS_REQUEUE_AFTER_SECONDS = env_int("JOBS_REQUEUE_AFTER_SECONDS", 300, minimum=1)
JOBS_STALE_SECONDS = env_int("JOBS_STALE_SECONDS", 600, minimum=30)
JOBS_SWEEP_SECONDS = env_int("JOBS_SWEEP_SECONDS", 60, minimum=1)
# Estimates shown before a job starts (a warning when it would pass its time limit): LoRA seconds per step
# until this workspace has trained once (measured: 1.42 s at batch 4 on 2 cores), dataset rows per second.
LORA_SECONDS_PER_STEP = env_float("LORA_SECONDS_PER_STEP", 1.5)
DATASETS_ROWS_PER_SECOND = env_float("DATASETS_ROWS_PER_SECOND", 5.0)
if LORA_SECONDS_PER_STEP <= 0 or DATASETS_ROWS_PER_SECOND <= 0:
    raise ImproperlyConfigured("LORA_SECONDS_PER_STEP and DATASETS_ROWS_PER_SECOND must be above 0")
