"""In a real browser: escalate a ticket, see its Jira key, resolve it in (fake) Jira, see the ticket solved."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest
from django_tenants.utils import schema_context

from conftest import PASSWORD, make_user
from integrations.conftest import JIRA_SECRET


@pytest.fixture
def db(committed):
    """Committed rows: the live server's thread and the worker must see them."""
    return


def test_escalate_in_the_browser_and_resolution_comes_back(db, live_app, page, celery_worker, jira, fake_jira, ticket):
    from helpdesk.tenants.models import Tenant

    make_user(Tenant.objects.get(schema_name="acme"), "escalating-agent@acme.test", "agent")
    # Jira's admin webhook points at this helpdesk, signed with the connection's secret.
    port = urlsplit(live_app.url("acme")).port
    fake_jira.webhook_url = f"http://127.0.0.1:{port}/integrations/jira/webhook"
    fake_jira.webhook_host = f"acme.localhost:{port}"
    fake_jira.webhook_secret = JIRA_SECRET

    page.goto(live_app.url("acme", f"/accounts/login/?next=/tickets/{ticket.number}/"))
    page.get_by_label("Email").fill("escalating-agent@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**/tickets/{ticket.number}/")
    panel = page.locator("#integrations-panel")
    panel.get_by_role("button", name="Escalate to Jira").click()
    panel.locator("a.issue-key", has_text="SUP-1").wait_for(timeout=30_000)

    assert len(fake_jira.issues) == 1
    assert panel.locator("a.issue-key").get_attribute("href") == f"{fake_jira.url}/browse/SUP-1"

    fake_jira.resolve("SUP-1")
    deadline = time.monotonic() + 15
    while not fake_jira.webhook_results and time.monotonic() < deadline:
        time.sleep(0.1)
    assert fake_jira.webhook_results == [200]

    page.reload()
    assert page.locator("#ticket-header select[name=status]").input_value() == "solved"
    page.locator("#thread").get_by_text("SUP-1 was resolved in Jira (Done)").wait_for()
    page.locator("#integrations-panel .badge.resolved", has_text="Done").wait_for()
    with schema_context("acme"):
        ticket.refresh_from_db()
        assert ticket.status == "solved"
