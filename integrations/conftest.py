"""Fixtures of the integrations tests: the local Jira and Zendesk fakes, connections, tickets."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django_tenants.utils import tenant_context

from integrations import services
from integrations.models import Connection
from testing.jira import FakeJira
from testing.zendesk import FakeZendesk
from tickets import services as tickets
from tickets.models import Ticket
from tickets.tests.conftest import acme_api, api_client, globex_api  # noqa: F401 - fixtures

JIRA_SECRET = "jira-webhook-secret"
ZENDESK_SECRET = "zendesk-webhook-secret"


@pytest.fixture(autouse=True)
def _fakes_reachable(allow_loopback: None) -> None:
    """The fakes listen on 127.0.0.1, which the outbound guard refuses unless allowed."""


@pytest.fixture
def fake_jira() -> Iterator[FakeJira]:
    fake = FakeJira().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_zendesk() -> Iterator[FakeZendesk]:
    fake = FakeZendesk().start()
    yield fake
    fake.stop()


@pytest.fixture
def in_acme(acme: Any) -> Iterator[Any]:
    with tenant_context(acme):
        yield acme


def jira_connect(fake: FakeJira, **extra: Any) -> Connection:
    conn = services.connection_save(
        system="jira",
        base_url=fake.url,
        username=fake.username,
        token=fake.token,
        project_key=fake.project,
        webhook_secret=JIRA_SECRET,
        **extra,
    )
    services.connection_test(connection=conn)  # learns the deployment type, as a manager's test does
    return conn


def zendesk_connect(fake: FakeZendesk, **extra: Any) -> Connection:
    return services.connection_save(
        system="zendesk",
        base_url=fake.url,
        username=fake.username,
        token=fake.token,
        webhook_secret=ZENDESK_SECRET,
        group_id=360001,
        **extra,
    )


@pytest.fixture
def jira(in_acme: Any, fake_jira: FakeJira) -> Connection:
    return jira_connect(fake_jira)


@pytest.fixture
def zendesk(in_acme: Any, fake_zendesk: FakeZendesk) -> Connection:
    return zendesk_connect(fake_zendesk)


@pytest.fixture
def make_ticket(in_acme: Any) -> Callable[..., Ticket]:
    def make(subject: str = "Export to CSV crashes", **kwargs: Any) -> Ticket:
        contact = tickets.contact_ensure(email="dana@northwind.example", name="Dana Whitaker")
        kwargs.setdefault("description", "Every export of more than 10k rows ends with error 500.")
        kwargs.setdefault("priority", "high")
        kwargs.setdefault("tags", ["export", "vip customer"])
        return tickets.ticket_create(subject=subject, requester=contact, by=contact, **kwargs)

    return make


@pytest.fixture
def ticket(make_ticket: Callable[..., Ticket]) -> Ticket:
    return make_ticket()
