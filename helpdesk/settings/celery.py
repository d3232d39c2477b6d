"""Celery: broker, results and publishing while the broker is down (time limits per queue: jobs.py).

The beat schedule, the task routes and the task annotations are assembled in ``helpdesk/settings/__init__.py``
from the intervals and queues of each concern's module.
"""

from __future__ import annotations

from helpdesk.env import env_int
from helpdesk.settings.database import REDIS_URL

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_RESULT_EXPIRES = 3600
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_TRACK_STARTED = True
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 3600, minimum=1)

# Modules with tasks outside the installed apps' tasks.py.
CELERY_IMPORTS = ["helpdesk.mail"]

# A task is acknowledged when it ends (tasks that opt in with acks_late), one message reserved
# at a time, and a publish gives up quickly while the broker is down (the caller keeps the work, see
# helpdesk.celery.send_on_commit and knowledge's sweeper).
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 10}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
