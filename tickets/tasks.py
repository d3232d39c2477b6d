"""Thin Celery tasks of tickets."""

from __future__ import annotations

from celery import shared_task
from django_tenants.utils import tenant_context

from helpdesk.tenants.selectors import tenant_list
from tickets.services import sla_mark_breaches


@shared_task(name="tickets.tasks.sla_check_all_tenants")
def sla_check_all_tenants() -> dict[str, int]:
    """Beat, every minute: mark SLA breaches in every tenant; returns the new breaches per tenant."""
    marked = {}
    for tenant in tenant_list():
        with tenant_context(tenant):
            counts = sla_mark_breaches()
        marked[tenant.schema_name] = counts.first_response + counts.resolution
    return marked
