"""In a real browser (Debian's headless Chromium driven by Playwright) against a live server."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from conftest import PASSWORD, make_user

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls in tests are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()  # fresh cookies for every test
    yield context.new_page()
    context.close()


def test_agent_signs_in_and_out_in_a_browser(committed, live_app, page):
    from helpdesk.tenants.models import Tenant

    make_user(Tenant.objects.get(schema_name="acme"), "browser@acme.test", "agent")
    page.goto(live_app.url("acme"))
    assert "/accounts/login/" in page.url
    page.get_by_label("Email").fill("browser@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_app.url("acme"))
    assert page.get_by_role("heading", name="Welcome, browser").is_visible()
    # htmx and the CSS arrived from our own static files
    assert page.evaluate("typeof window.htmx") == "object"
    page.get_by_text("browser", exact=True).click()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/accounts/login/")


def test_wrong_password_is_explained_in_the_browser(committed, live_app, page):
    page.goto(live_app.url("acme", "/accounts/login/"))
    page.get_by_label("Email").fill("nobody@acme.test")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text().startswith("Please enter a correct email")
