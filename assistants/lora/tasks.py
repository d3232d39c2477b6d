"""Celery tasks of LoRA adapters; routed to the `training` queue (settings.CELERY_TASK_ROUTES)."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=False, ignore_result=True)
def adapter_train(adapter_id: int) -> None:
    """Train the queued adapter version ``adapter_id`` (exits if it was cancelled or deleted meanwhile)."""
    from assistants.lora.services import adapter_train as train

    train(adapter_id=adapter_id)
