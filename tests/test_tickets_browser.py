"""The support workspace in a real browser: filter the queue, edit a ticket inline, reply; no full reloads."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from conftest import PASSWORD, make_user


@pytest.fixture
def db(committed):
    """Committed rows, under the name `db` on purpose: the shared fixtures (acme, agent…) ask for
    `db`, and here they must write for real so that the live server's thread sees their rows."""
    return


def test_agent_filters_opens_edits_and_replies_without_reloading(db, live_app, page):
    from helpdesk.tenants.models import Tenant
    from tickets import services

    acme = Tenant.objects.get(schema_name="acme")
    make_user(acme, "browser-agent@acme.test", "agent")
    with schema_context("acme"):
        contact = services.contact_ensure(email="kim@customer.example", name="Kim")
        services.ticket_create(subject="Invoice shows wrong VAT", requester=contact, by=contact, priority="low")
        target = services.ticket_create(
            subject="Printer on fire", description="Smoke everywhere", requester=contact, by=contact, priority="urgent"
        )

    page.goto(live_app.url("acme", "/accounts/login/?next=/tickets/"))
    page.get_by_label("Email").fill("browser-agent@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/tickets/")
    rows = page.locator("#rows tbody tr")
    assert rows.count() == 2

    page.evaluate("window.__noReload = true")
    page.get_by_label("Priority", exact=True).select_option("urgent")
    page.wait_for_url("**/tickets/?*priority=urgent*")
    rows.filter(has_text="Invoice").wait_for(state="detached")
    assert rows.count() == 1
    page.get_by_placeholder("Search subject and description").fill("smoke")
    page.wait_for_url("**q=smoke*")
    assert rows.count() == 1
    assert page.evaluate("window.__noReload") is True  # the rows were swapped, the page stayed

    page.get_by_role("link", name="Printer on fire").click()
    page.wait_for_url(f"**/tickets/{target.number}/")
    page.evaluate("window.__noReload = true")
    page.locator("#ticket-header").get_by_label("Status").select_option("pending")
    page.locator("#events").get_by_text("changed status").wait_for()
    with schema_context("acme"):
        target.refresh_from_db()
        assert target.status == "pending"

    page.get_by_label("Message").fill("We switched the printer off. <b>Stay safe</b>")
    page.get_by_role("button", name="Send").click()
    reply = page.locator("#thread article").filter(has_text="We switched the printer off.")
    reply.wait_for()
    assert "<b>Stay safe</b>" in reply.inner_text()  # shown as text, not as markup
    assert page.get_by_label("Message").input_value() == ""  # the form was reset for the next reply
    assert page.locator("#events").get_by_text("replied").count() == 1
    assert page.evaluate("window.__noReload") is True
    assert page.locator("#ai-panel").is_visible()
