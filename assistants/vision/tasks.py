"""Thin Celery tasks of the screenshot reader."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError
from django_tenants.utils import tenant_context

from assistants.vision import services
from helpdesk.tenants.selectors import tenant_list


@shared_task(
    name="assistants.vision.tasks.analyse_attachment",
    autoretry_for=(OperationalError,),
    retry_backoff=5,
    retry_jitter=True,
    max_retries=3,
    soft_time_limit=300,
)
def analyse_attachment(attachment_id: int) -> str | None:
    """Sent for every new ticket attachment (an attachment processor): read and classify it if it is an image."""
    analysis = services.attachment_analyse(attachment_id=attachment_id)
    return analysis.status if analysis is not None else None


@shared_task(name="assistants.vision.sweep_stuck_analyses", ignore_result=True)
def sweep_stuck_analyses() -> dict[str, list[int]]:
    """Beat, every JOBS_SWEEP_SECONDS: send again screenshot readings that never started or were lost, per tenant."""
    swept = {}
    for tenant in tenant_list():
        with tenant_context(tenant):
            ids = services.analyses_sweep()
        if ids:
            swept[tenant.schema_name] = ids
    return swept
