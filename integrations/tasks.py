"""Thin Celery tasks of integrations: ids in, services do the work; beat entries fan out over tenants."""

from __future__ import annotations

from celery import shared_task
from django_tenants.utils import tenant_context

from helpdesk.celery import send_on_commit
from helpdesk.tenants.selectors import tenant_list
from integrations.events import services as webhooks
from integrations.models import Connection
from integrations.services import backsync, outbox


@shared_task(name="integrations.tasks.outbox_run", acks_late=True)
def outbox_run(item_id: int) -> str:
    """Run one outbox row (create an issue or add a comment) if it is due."""
    return outbox.outbox_process(item_id=item_id)


@shared_task(name="integrations.tasks.webhook_deliver", acks_late=True)
def webhook_deliver(delivery_id: int) -> str:
    """Send one outgoing webhook delivery if it is due."""
    return webhooks.delivery_process(delivery_id=delivery_id)


@shared_task(name="integrations.tasks.pull_connection")
def pull_connection(connection_id: int) -> dict[str, object]:
    """Read status and comments of the connection's open linked issues (the webhook fallback)."""
    conn = Connection.objects.filter(pk=connection_id, enabled=True).first()
    if conn is None:
        return {"skipped": True}
    summary = backsync.pull_connection(connection=conn)
    return {"checked": summary.checked, "changed": summary.changed, "missing": summary.missing, "error": summary.error}


@shared_task(name="integrations.tasks.sweep_all_tenants")
def sweep_all_tenants() -> dict[str, int]:
    """Beat: send again what is due or was abandoned by a dead worker, in every tenant."""
    queued = {}
    for tenant in tenant_list():
        with tenant_context(tenant):
            items, deliveries = outbox.outbox_due_ids(), webhooks.delivery_due_ids()
            for item_id in items:
                send_on_commit(outbox_run, item_id=item_id)
            for delivery_id in deliveries:
                send_on_commit(webhook_deliver, delivery_id=delivery_id)
        queued[tenant.schema_name] = len(items) + len(deliveries)
    return queued


@shared_task(name="integrations.tasks.pull_all_tenants")
def pull_all_tenants() -> dict[str, int]:
    """Beat, every INTEGRATIONS_PULL_SECONDS: one pull task per enabled connection of every tenant; old history goes."""
    queued = {}
    for tenant in tenant_list():
        with tenant_context(tenant):
            backsync.history_prune()
            ids = list(Connection.objects.filter(enabled=True).values_list("pk", flat=True))
            for pk in ids:
                send_on_commit(pull_connection, connection_id=pk)
        queued[tenant.schema_name] = len(ids)
    return queued
