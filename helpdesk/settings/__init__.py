"""Settings for every process (web, worker, beat, commands), read from the environment.

One module per concern in this package. This file imports them in order (env.py first: it reads the
`.env` file) and is the one place where the app lists and Celery's beat schedule, task routes and task
annotations are assembled. `.env.example` lists each variable with its default; without
``DATABASE_URL`` / ``REDIS_URL`` the embedded services of ``helpdesk.devstack`` are used.
"""

# isort: off
from helpdesk.settings.env import *  # noqa: F403
from helpdesk.settings.i18n import *  # noqa: F403
from helpdesk.settings.tenancy import *  # noqa: F403
from helpdesk.settings.database import *  # noqa: F403
from helpdesk.settings.auth import *  # noqa: F403
from helpdesk.settings.api import *  # noqa: F403
from helpdesk.settings.celery import *  # noqa: F403
from helpdesk.settings.mail import *  # noqa: F403
from helpdesk.settings.health import *  # noqa: F403
from helpdesk.settings.static import *  # noqa: F403
from helpdesk.settings.logging import *  # noqa: F403
from helpdesk.settings.tickets import *  # noqa: F403
from helpdesk.settings.knowledge import *  # noqa: F403
from helpdesk.settings.assistants import *  # noqa: F403
from helpdesk.settings.lora import *  # noqa: F403
from helpdesk.settings.outbound import *  # noqa: F403
from helpdesk.settings.datasets import *  # noqa: F403
from helpdesk.settings.integrations import *  # noqa: F403
from helpdesk.settings.vision import *  # noqa: F403
from helpdesk.settings.security import *  # noqa: F403
from helpdesk.settings.jobs import *  # noqa: F403

# isort: on
from helpdesk.settings.integrations import INTEGRATIONS_PULL_SECONDS, INTEGRATIONS_SWEEP_SECONDS, WEBHOOKS_QUEUE
from helpdesk.settings.jobs import JOBS_SWEEP_SECONDS
from helpdesk.settings.knowledge import KB_SWEEP_SECONDS
from helpdesk.settings.lora import LORA_QUEUE
from helpdesk.settings.mail import MAIL_POLL_SECONDS
from helpdesk.settings.tickets import TICKETS_SLA_CHECK_SECONDS
from helpdesk.settings.vision import VISION_QUEUE

# --- Apps ---------------------------------------------------------------------

# SHARED_APPS have their tables in the public schema, TENANT_APPS in every tenant's schema (django-tenants);
# an app in both has them in each. helpdesk.tenants precedes django_tenants so that its create_tenant
# command wins.
SHARED_APPS = [
    "helpdesk.tenants",
    "django_tenants",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "django_celery_beat",
    "django_prometheus",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "template_partials",
    "helpdesk.accounts",
    "csp",  # Content-Security-Policy (security.py)
    "axes",  # login throttling (auth.py): the platform admin and each tenant count failures apart
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.admin",
    "helpdesk.accounts",
    "tickets",
    "knowledge",
    "assistants",
    "assistants.lora",
    "datasets",
    "integrations",
    "integrations.jira",
    "integrations.zendesk",
    "assistants.vision",
    "mail",
    "anymail",  # provider inbound webhooks (the mail app receives its inbound signal)
    "axes",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

# --- Celery: beat schedule, task routes, task annotations ---------------------

# DatabaseScheduler keeps each entry as a PeriodicTask row under its key: a renamed key would leave the
# old row running beside the new one.
CELERY_BEAT_SCHEDULE = {
    "tickets-sla-breaches": {"task": "tickets.tasks.sla_check_all_tenants", "schedule": TICKETS_SLA_CHECK_SECONDS},
    "knowledge-sweep-stuck-documents": {"task": "knowledge.sweep_stuck_documents", "schedule": KB_SWEEP_SECONDS},
    "knowledge-sweep-stuck-switches": {"task": "knowledge.sweep_stuck_switches", "schedule": KB_SWEEP_SECONDS},
    "integrations-sweep": {"task": "integrations.tasks.sweep_all_tenants", "schedule": INTEGRATIONS_SWEEP_SECONDS},
    "integrations-pull": {"task": "integrations.tasks.pull_all_tenants", "schedule": INTEGRATIONS_PULL_SECONDS},
    "jobs-send-unsent-tasks": {"task": "tenants.send_unsent_tasks", "schedule": JOBS_SWEEP_SECONDS},
    "jobs-sweep-dataset-runs": {"task": "datasets.sweep_stuck_jobs", "schedule": JOBS_SWEEP_SECONDS},
    "jobs-sweep-lora-jobs": {"task": "assistants.lora.sweep_stuck_jobs", "schedule": JOBS_SWEEP_SECONDS},
    "jobs-sweep-screenshots": {"task": "assistants.vision.sweep_stuck_analyses", "schedule": JOBS_SWEEP_SECONDS},
    "mail-poll": {"task": "mail.poll_all_tenants", "schedule": MAIL_POLL_SECONDS},
}
# Tasks with a queue and worker of their own (Procfile): LoRA training, screenshot analysis, webhook deliveries.
CELERY_TASK_ROUTES = {
    "assistants.lora.tasks.adapter_train": {"queue": LORA_QUEUE},
    "assistants.vision.tasks.analyse_attachment": {"queue": VISION_QUEUE},
    "integrations.tasks.webhook_deliver": {"queue": WEBHOOKS_QUEUE},
}
# Hard and soft time limits per queue (CELERY_QUEUE_TIME_LIMITS, jobs.py).
CELERY_TASK_ANNOTATIONS = ["helpdesk.celery.QueueTimeLimits"]
