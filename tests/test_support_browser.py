"""The ticket page and the queue in a real browser, at desktop and phone widths: what a new agent noticed."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from conftest import PASSWORD, make_user
from tests import samples

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def db(committed):
    """Committed rows (the live server's thread must see them); see tests/test_tickets_browser.py."""
    return


@pytest.fixture
def ticket(db):
    from helpdesk.tenants.models import Tenant
    from knowledge import services as kb
    from tickets import services

    make_user(Tenant.objects.get(schema_name="acme"), "first-week@acme.test", "agent")
    with schema_context("acme"):
        document = kb.document_create_from_text(
            title="Reset your password",
            text="To reset your password, open Settings > Security and click Reset password.",
            language="en",
            enqueue=False,
        )
        kb.document_index(document_id=document.pk)
        from assistants.services import assistant_create

        assistant_create(name="Helper", company="Acme", provider="extractive")
        contact = services.contact_ensure(email="pat@customer.example", name="Pat")
        services.ticket_create(subject="Other ticket", requester=contact, by=contact)
        return services.ticket_create(
            subject="Locked out", description="How do I reset my password?", requester=contact, by=contact
        )


def sign_in(page, live_app, next_path: str) -> None:
    page.goto(live_app.url("acme", f"/accounts/login/?next={next_path}"))
    page.get_by_label("Email").fill("first-week@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{next_path}")


def test_reply_form_after_an_error_and_a_draft_in_the_thread(ticket, live_app, page, tmp_path):
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    sign_in(page, live_app, f"/tickets/{ticket.number}/")
    assert page.locator('link[rel="icon"]').get_attribute("href").endswith("favicon.svg")
    page.evaluate("window.__noReload = true")

    fake = tmp_path / "screenshot.png"
    fake.write_bytes(samples.exe_bytes())
    page.get_by_label("Message").fill("Open Settings > Security.")
    page.locator("#reply-form input[type=file]").set_input_files(str(fake))
    page.get_by_role("button", name="Send", exact=True).click()
    page.get_by_text("screenshot.png is a program").wait_for()
    assert page.get_by_label("Message").input_value() == "Open Settings > Security."  # an error keeps the text

    page.get_by_role("button", name="Send", exact=True).click()  # without the file now
    page.locator("#thread article").filter(has_text="Open Settings > Security.").wait_for()
    assert page.get_by_label("Message").input_value() == ""  # a success resets the form...
    assert page.get_by_text("is a program").count() == 0  # ...and drops the stale error
    assert page.locator("#thread .thread-empty").is_hidden()

    panel = page.locator("#ai-panel")
    panel.get_by_role("button", name="Suggest reply").click()
    panel.get_by_role("button", name="Insert into reply").wait_for(timeout=60_000)
    drafts = page.locator("#thread article.reply-ai_draft")
    drafts.first.wait_for()
    assert drafts.count() == 1  # the draft joined the thread without a reload
    panel.get_by_role("button", name="Suggest again").click()
    panel.get_by_role("button", name="Insert into reply").wait_for(timeout=60_000)
    page.wait_for_function("document.querySelectorAll('#thread article.reply-ai_draft').length === 1")
    assert page.evaluate("window.__noReload") is True
    assert not [e for e in errors if "oobErrorNoTarget" in e or "htmx" in e.lower()], errors


def test_phone_layout_of_the_ticket_page_and_the_queue(ticket, live_app, browser):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    sign_in(page, live_app, f"/tickets/{ticket.number}/")
    # The placeholder panel is swapped for the loaded one (outerHTML): measure after the swap, not during it.
    page.get_by_text("Loading the AI panel…").wait_for(state="detached")
    panel = page.locator("#ai-panel").bounding_box()
    form = page.locator("#reply-form").bounding_box()
    request = page.locator("article.description").bounding_box()
    assert panel and form and request
    assert request["y"] < panel["y"] < form["y"]  # the AI panel sits above the reply form on a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.goto(live_app.url("acme", "/tickets/"))
    page.get_by_label("Bulk action").wait_for()
    for label in ("Bulk action", "Bulk assignee", "Bulk status", "Bulk tag"):
        box = page.get_by_label(label, exact=True).bounding_box()
        assert box and box["width"] >= 120, (label, box)  # readable controls, not single letters
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()


def test_queue_search_by_number_sorting_and_page_size(ticket, live_app, page):
    sign_in(page, live_app, "/tickets/")
    page.get_by_placeholder("Search subject and description").fill(f"#{ticket.number}")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/tickets/{ticket.number}/")  # the number opens the ticket

    page.goto(live_app.url("acme", "/tickets/"))
    header = page.locator("th[aria-sort]").first  # the number column
    header.locator("a.sort").click()
    page.wait_for_url("**sort=-number*")
    assert header.get_attribute("aria-sort") == "descending"
    numbers = page.locator("#rows tbody tr td.col-number").all_inner_texts()
    assert numbers == sorted(numbers, reverse=True)
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)
    header.locator("a.sort").click()
    page.wait_for_url("**sort=number*")
    assert page.locator("#rows tbody tr td.col-number").all_inner_texts() == sorted(numbers)
    # The page-size select lives in the rows that the sort just swapped in: a change made while htmx is still
    # swapping or settling them lands on the outgoing select and is lost.
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)
    page.get_by_label("Tickets per page").select_option("50")
    page.wait_for_url("**per_page=50*")
    assert page.get_by_label("Sort").input_value() == "number"  # the sort survives


def test_admin_ticket_list_fits_a_desktop_and_badges_differ(ticket, live_app, browser):
    from helpdesk.tenants.models import Tenant
    from tickets import services

    make_user(Tenant.objects.get(schema_name="acme"), "boss-1280@acme.test", "manager")
    with schema_context("acme"):
        contact = services.contact_ensure(
            email="someone.with.a.remarkably.long.address@subsidiary.customer-example.example", name="Maximilian"
        )
        services.ticket_create(
            subject="Our invoices INV-2026-000123456789-LUX and INV-2026-000123456790-LUX show the wrong VAT rate",
            requester=contact,
            by=contact,
            priority="urgent",
        )
        opened = services.ticket_create(subject="An open one", requester=contact, by=contact, priority="urgent")
        services.ticket_transition(ticket=opened, status="open", by="test")
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(live_app.url("acme", "/accounts/login/?next=/admin/tickets/ticket/"))
    page.get_by_label("Email").fill("boss-1280@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/tickets/ticket/")
    assert page.get_by_role("link", name="Helpdesk · Acme Corporation").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280

    page.goto(live_app.url("acme", "/tickets/"))
    row = page.locator(f"#ticket-{opened.number}")
    status = row.locator(".badge.status-open").evaluate("el => getComputedStyle(el).backgroundColor")
    urgent = row.locator(".badge.priority-urgent").evaluate("el => getComputedStyle(el).backgroundColor")
    assert status != urgent  # "Open" is not in the Urgent colour
    context.close()
