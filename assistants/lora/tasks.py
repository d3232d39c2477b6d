"""Celery tasks of LoRA adapters: training (routed to the `training` queue, settings.CELERY_TASK_ROUTES), publishing."""

from __future__ import annotations

from celery import shared_task
from django_tenants.utils import tenant_context

from assistants.lora.services import adapter_publish_run, jobs_sweep
from assistants.lora.services import adapter_train as train
from helpdesk.tenants.selectors import tenant_list


@shared_task(name="assistants.lora.tasks.adapter_train", acks_late=False, ignore_result=True)
def adapter_train(adapter_id: int) -> None:
    """Train the queued adapter version ``adapter_id`` (exits if it was cancelled or deleted meanwhile)."""
    train(adapter_id=adapter_id)


@shared_task(name="assistants.lora.tasks.adapter_publish", acks_late=False, ignore_result=True)
def adapter_publish(adapter_id: int, *, host: str, base: str, by_id: int | None = None) -> None:
    """Publish adapter version ``adapter_id`` to the Ollama at ``host`` (default queue; network-bound)."""
    adapter_publish_run(adapter_id=adapter_id, host=host, base=base, by_id=by_id)


@shared_task(name="assistants.lora.sweep_stuck_jobs", ignore_result=True)
def sweep_stuck_jobs() -> dict[str, dict[str, list[int]]]:
    """Beat, every JOBS_SWEEP_SECONDS: send again training jobs waiting in vain, stop lost ones, in every tenant."""
    swept = {}
    for tenant in tenant_list():
        with tenant_context(tenant):
            result = jobs_sweep()
        if any(result.values()):
            swept[tenant.schema_name] = result
    return swept
