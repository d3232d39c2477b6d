"""Outgoing webhooks: events become signed deliveries, failures retry or fail, redeliver, the page."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator

import pytest
from django.utils import timezone

from integrations.events import services
from integrations.models import WebhookDelivery, WorkStatus
from testing.fakeserver import FakeRequest, FakeServer
from tickets import services as tickets


class Receiver(FakeServer):
    """A tenant's own system that accepts webhooks and keeps what it got."""

    def __init__(self) -> None:
        super().__init__()
        self.received: list[FakeRequest] = []
        self.route("POST", "/hooks", self.hook)

    def hook(self, request: FakeRequest) -> tuple[int, object, dict[str, str]]:
        self.received.append(request)
        return 200, {"ok": True}, {}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    yield server
    server.stop()


def run_due(delivery: WebhookDelivery) -> str:
    WebhookDelivery.objects.filter(pk=delivery.pk, status=WorkStatus.PENDING).update(next_attempt_at=timezone.now())
    return services.delivery_process(delivery_id=delivery.pk)


def test_ticket_events_are_delivered_signed(in_acme, receiver, make_ticket, agent):
    _, secret = services.endpoint_create(url=f"{receiver.url}/hooks", events=["ticket.created", "reply.created"])
    ticket = make_ticket()
    tickets.reply_add(ticket=ticket, body="Looking into it", by=agent)
    tickets.ticket_update(ticket=ticket, priority="urgent", by=agent)  # not subscribed

    deliveries = list(WebhookDelivery.objects.order_by("id"))
    assert [d.event for d in deliveries] == ["ticket.created", "reply.created"]
    assert [services.delivery_process(delivery_id=d.pk) for d in deliveries] == ["ok", "ok"]

    first, second = receiver.received
    body = json.loads(first.body)
    assert body["event"] == "ticket.created" and body["data"]["ticket"]["number"] == ticket.number
    assert json.loads(second.body)["data"]["reply"]["body"] == "Looking into it"
    timestamp = first.headers["x-helpdesk-timestamp"]
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + first.body, hashlib.sha256).hexdigest()
    assert first.headers["x-helpdesk-signature"] == expected
    assert first.headers["x-helpdesk-delivery"] == body["id"]
    done = WebhookDelivery.objects.get(pk=deliveries[0].pk)
    assert done.status == WorkStatus.DONE and done.last_status_code == 200 and done.response_ms is not None


def test_a_5xx_is_retried_and_a_4xx_fails_at_once(in_acme, receiver, make_ticket, settings):
    settings.INTEGRATIONS_RETRY_BASE_SECONDS = 60
    services.endpoint_create(url=f"{receiver.url}/hooks", events=["ticket.created"])
    delivery = services.event_emit(event="ticket.created", ticket=make_ticket())[-1]
    receiver.fail(1, status=502)

    assert services.delivery_process(delivery_id=delivery.pk) == "retry"
    delivery.refresh_from_db()
    assert (
        delivery.status == WorkStatus.PENDING
        and delivery.next_attempt_at > timezone.now()
        and delivery.last_status_code == 502
    )
    assert run_due(delivery) == "ok"

    gone = services.event_emit(event="ticket.created", ticket=make_ticket("Another"))[-1]
    receiver.fail(1, status=410)
    assert services.delivery_process(delivery_id=gone.pk) == "failed"
    gone.refresh_from_db()
    assert gone.status == WorkStatus.FAILED and gone.last_status_code == 410


def test_redeliver_sends_the_same_event_again(in_acme, receiver, make_ticket):
    services.endpoint_create(url=f"{receiver.url}/hooks", events=["ticket.created"])
    first = services.event_emit(event="ticket.created", ticket=make_ticket())[-1]
    services.delivery_process(delivery_id=first.pk)

    again = services.delivery_redeliver(delivery=first)
    assert services.delivery_process(delivery_id=again.pk) == "ok"

    a, b = receiver.received
    assert json.loads(a.body) == json.loads(b.body)
    assert a.headers["x-helpdesk-delivery"] == b.headers["x-helpdesk-delivery"]


def test_endpoint_page_shows_the_secret_once_and_validates(manager_client, in_acme):
    bad = manager_client.post("/integrations/webhooks/", {"url": "ftp://x", "events": []})
    assert bad.status_code == 200
    assert "This field is required" in bad.content.decode() or "Pick at least one event" in bad.content.decode()

    added = manager_client.post(
        "/integrations/webhooks/", {"url": "https://hooks.example/in", "events": ["ticket.created"]}, follow=True
    )
    html = added.content.decode()
    assert "whsec_" in html
    secret = html.split('id="new-secret">')[1].split("<")[0]
    assert secret not in manager_client.get("/integrations/webhooks/").content.decode()
    from integrations.models import WebhookEndpoint

    endpoint = WebhookEndpoint.objects.get()
    assert secret not in endpoint.secret_encrypted  # stored encrypted


def test_agents_cannot_add_webhooks_and_outsiders_get_404(agent_client, outsider_client, in_acme):
    assert (
        agent_client.post(
            "/integrations/webhooks/", {"url": "https://hooks.example/in", "events": ["ticket.created"]}
        ).status_code
        == 403
    )
    endpoint, _ = services.endpoint_create(url="https://hooks.example/in", events=["ticket.created"])
    assert outsider_client.get(f"/integrations/webhooks/{endpoint.pk}/").status_code == 404
    assert outsider_client.post(f"/integrations/webhooks/{endpoint.pk}/delete/").status_code == 404


def test_a_webhook_to_an_internal_address_is_refused_with_the_reason(in_acme, make_ticket):
    # 127.0.0.2 is loopback outside OUTBOUND_ALLOWED_NETWORKS (only 127.0.0.1 is allowed for the fakes).
    services.endpoint_create(url="http://127.0.0.2:9/hooks", events=["ticket.created"])
    delivery = services.event_emit(event="ticket.created", ticket=make_ticket())[-1]

    assert services.delivery_process(delivery_id=delivery.pk) == "failed"

    delivery.refresh_from_db()
    assert delivery.status == WorkStatus.FAILED and delivery.attempts == 1
    assert "private or internal network" in delivery.last_error
