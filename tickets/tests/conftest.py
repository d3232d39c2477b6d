"""Fixtures of the tickets tests: tenant context, contacts, tickets, SLA policies, API clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django_tenants.utils import tenant_context

from conftest import ACME_HOST, GLOBEX_HOST
from helpdesk.accounts.services import api_key_issue
from helpdesk.celery import app
from tickets import services
from tickets.models import Contact, SLAPolicy, Ticket


@pytest.fixture
def outbox(settings, django_capture_on_commit_callbacks):
    """Mail as Django's test outbox sees it: tasks run in place (Celery's eager mode); `with outbox():`
    around a change runs what it queued for after the commit."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    app.conf.task_always_eager = True
    mail.outbox.clear()
    yield lambda: django_capture_on_commit_callbacks(execute=True)
    app.conf.task_always_eager = False


@pytest.fixture
def in_acme(acme) -> Iterator[Any]:
    with tenant_context(acme):
        yield acme


@pytest.fixture
def contact(in_acme) -> Contact:
    return services.contact_ensure(email="dana@northwind.example", name="Dana Whitaker", organisation="Northwind")


@pytest.fixture
def sla(in_acme) -> dict[str, SLAPolicy]:
    targets = {"urgent": (30, 240), "high": (120, 1440), "normal": (480, 4320), "low": (1440, 10080)}
    return {
        p: SLAPolicy.objects.create(priority=p, first_response_minutes=f, resolution_minutes=r)
        for p, (f, r) in targets.items()
    }


@pytest.fixture
def make_ticket(in_acme, contact) -> Callable[..., Ticket]:
    def make(subject: str = "Printer on fire", **kwargs: Any) -> Ticket:
        kwargs.setdefault("description", "The office printer shows error E42 and smells of smoke.")
        kwargs.setdefault("requester", contact)
        kwargs.setdefault("by", kwargs["requester"])
        return services.ticket_create(subject=subject, **kwargs)

    return make


@pytest.fixture
def ticket(make_ticket) -> Ticket:
    return make_ticket()


def api_client(tenant, host: str) -> Client:
    with tenant_context(tenant):
        raw = api_key_issue(name=f"test-{tenant.schema_name}").raw_key
    return Client(HTTP_HOST=host, headers={"Authorization": f"Api-Key {raw}"})


@pytest.fixture
def acme_api(acme) -> Client:
    return api_client(acme, ACME_HOST)


@pytest.fixture
def globex_api(globex) -> Client:
    return api_client(globex, GLOBEX_HOST)


@pytest.fixture
def clean_cache() -> Iterator[None]:
    """The rate limiter counts in the (Redis) cache, which outlives a test's transaction."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def media_root(settings, tmp_path) -> Iterator[Any]:
    """Uploads go to a temporary MEDIA_ROOT.

    django-tenants' storage caches MEDIA_ROOT/<schema> and resets it only when
    MULTITENANT_RELATIVE_MEDIA_ROOT changes, so the cache is dropped here by hand.
    """
    from django.core.files.storage import storages

    storage = storages["default"]
    storage.__dict__.pop("relative_media_root", None)
    settings.MEDIA_ROOT = tmp_path
    yield tmp_path
    storage.__dict__.pop("relative_media_root", None)
