"""In a real browser (Debian's headless Chromium driven by Playwright) against a live server."""

from __future__ import annotations

from conftest import PASSWORD, make_user


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
