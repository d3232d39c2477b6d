"""With the real Redis of the suite stopped (broker, results and cache), customers' requests are still saved.

Rate limits and throttles count in Redis: they fail open (and log it) instead of failing the
request. /health/deps names redis as failing. Redis is started again after each test.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from conftest import ACME_HOST, login_client, make_user
from helpdesk import devstack
from helpdesk.accounts.services import api_key_issue
from helpdesk.tenants.models import Tenant
from tickets.models import Channel, Ticket

SITE = "https://www.acme.example"


@pytest.fixture
def redis_down(committed: None) -> Iterator[None]:
    """The suite's own Redis, stopped for the test and started again afterwards."""
    port = devstack.redis_port()
    assert devstack._redis_ping(port), "the suite's Redis should be running"
    assert devstack.redis_stop(port) is True
    try:
        yield
    finally:
        devstack.redis_start(port)
        assert devstack._redis_ping(port)


@pytest.fixture
def acme_setup(committed: None) -> dict[str, object]:
    """An agent, an API key, and a widget on an assistant with a little knowledge, made while Redis is up."""
    from assistants.services import assistant_create, widget_key_create
    from knowledge.tests.conftest import index_text

    acme = Tenant.objects.get(schema_name="acme")
    agent = make_user(acme, "alice-redis@acme.test", "agent")
    with tenant_context(acme):
        raw_key = api_key_issue(name="redis-down").raw_key
        bot = assistant_create(name="Support bot", company="Acme", provider="extractive")
        widget_key = widget_key_create(assistant=bot, allowed_origins=[SITE]).key
        index_text("Shipping", "# Shipping\n\nParcels arrive in three to five business days after dispatch.")
    return {"acme": acme, "agent": agent, "api_key": raw_key, "widget_key": widget_key}


def _tickets(acme: Tenant) -> dict[str, str]:
    with tenant_context(acme):
        return dict(Ticket.objects.values_list("subject", "channel"))


def test_tickets_are_saved_through_every_channel_while_redis_is_down(acme_setup, redis_down, caplog):
    acme = acme_setup["acme"]
    caplog.set_level(logging.ERROR, logger="helpdesk.cache")

    # The agent's page.
    agent_client = login_client(acme, acme_setup["agent"], ACME_HOST)
    page = agent_client.post(
        "/tickets/new/",
        {"requester_email": "pat@customer.test", "subject": "From the page", "description": "Hi", "priority": "normal"},
    )
    assert page.status_code == 302, page.content[:500]

    # The public portal (its submit rate limit counts in Redis).
    portal = Client(HTTP_HOST=ACME_HOST).post(
        "/portal/", {"email": "sam@customer.test", "subject": "From the portal", "description": "Help"}
    )
    assert portal.status_code == 302, portal.content[:500]

    # The API (its throttle counts in Redis).
    api = Client(HTTP_HOST=ACME_HOST, headers={"Authorization": f"Api-Key {acme_setup['api_key']}"})
    created = api.post(
        "/api/v1/tickets/",
        {"subject": "From the API", "description": "Sync", "requester_email": "bot@partner.test"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content[:500]

    # The website widget: a chat (rate-limited per visitor), then the escalation to a ticket.
    def widget(path: str, payload: dict[str, object]):
        return Client(HTTP_HOST=ACME_HOST).post(
            f"/assistants/widget/{path}", json.dumps(payload), content_type="application/json", headers={"Origin": SITE}
        )

    chat = widget("chat", {"key": acme_setup["widget_key"], "message": "From the widget: where is my parcel?"})
    assert chat.status_code == 200, chat.content[:500]
    escalated = widget(
        "escalate", {"key": acme_setup["widget_key"], "session_id": chat.json()["session_id"], "email": "v@x.test"}
    )
    assert escalated.status_code == 200, escalated.content[:500]

    assert _tickets(acme) == {
        "From the page": Channel.WEB,
        "From the portal": Channel.PORTAL,
        "From the API": Channel.API,
        "From the widget: where is my parcel?": Channel.CHAT,
    }
    # Failing open is logged, not silent.
    assert any("Exception ignored" in record.getMessage() for record in caplog.records)


def test_health_deps_reports_redis_failing(acme_setup, redis_down, settings):
    settings.METRICS_TOKEN = "ops-token"
    response = Client(HTTP_HOST=ACME_HOST).get("/health/deps", headers={"Authorization": "Bearer ops-token"})
    assert response.status_code == 503
    body = response.json()
    assert body["database"]["ok"] is True
    assert body["redis"]["ok"] is False and body["redis"]["error"]
    assert body["celery"]["ok"] is False
