"""The SLA beat task in a real Celery worker, and its counter in /metrics."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from tickets import services
from tickets.models import Ticket, TicketEvent
from tickets.tasks import sla_check_all_tenants


@pytest.fixture
def db(committed):
    """Committed rows for the worker, named `db` so that the shared fixtures (acme, agent…) commit too."""
    return


def _breaches(metrics_text: str) -> int:
    match = re.search(
        r'helpdesk_tickets_sla_breaches_total\{target="first_response",tenant="acme"\} (\d+)', metrics_text
    )
    return int(float(match.group(1))) if match else 0


def test_beat_runs_the_sla_check_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["tickets-sla-breaches"]
    assert entry == {"task": "tickets.tasks.sla_check_all_tenants", "schedule": 60}


def test_worker_marks_breaches_and_metrics_count_them(db, celery_worker):
    client = Client(HTTP_HOST="localhost")  # tenant-labelled series: the public host, from 127.0.0.1
    before = _breaches(client.get("/metrics").content.decode())
    with schema_context("acme"):
        contact = services.contact_ensure(email="late@customer.example")
        ticket = services.ticket_create(subject="Waiting", requester=contact, by=contact)
        Ticket.objects.filter(pk=ticket.pk).update(first_response_due_at=timezone.now() - timedelta(minutes=5))
    result = sla_check_all_tenants.delay().get(timeout=30)
    assert result["acme"] == 1 and result["globex"] == 0
    with schema_context("acme"):
        ticket.refresh_from_db()
        assert ticket.first_response_breached_at is not None
        assert TicketEvent.objects.filter(ticket=ticket, field="sla_first_response").count() == 1
    assert sla_check_all_tenants.delay().get(timeout=30)["acme"] == 0  # marked once
    assert _breaches(client.get("/metrics").content.decode()) == before + 1
