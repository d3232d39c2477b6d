"""Markup a customer writes stays text, and the Content-Security-Policy stops it even where it would not.

In a real browser (Debian's Chromium driven by Playwright): a customer stores script-bearing markup
in every field they can write (portal request, portal reply, their name, an attachment's name, a
widget chat and its handover; a crawled article's title, a dataset row), and staff open every page
that shows them. Nothing runs, and our own pages cause no policy violation: a violation means a
page of ours still needs an inline script, handler, style or eval that the policy refuses.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from conftest import make_user
from tests import urlmatrix
from tests.test_widget_browser import customer_site  # noqa: F401 - a fixture: the customer's own web site
from tests.walk import Walk, Watch, sign_in

IMG = "<img src=x onerror=window.__pwned=1>"
SCRIPT = "<script>window.__pwned=1</script>"
BOTH = f"{IMG} {SCRIPT}"


@pytest.fixture
def db(committed):
    """Committed rows (the live server's thread must see them); see tests/test_tickets_browser.py."""
    return


def _hostile_dataset_run(acme) -> int:
    """A dataset run under review whose row (and upload preview) is the customer's markup."""
    from datasets.models import Row, Upload

    seeds = urlmatrix.Seeds(acme)
    row, upload = seeds.dataset_row, seeds.dataset_upload
    with schema_context("acme"):
        Row.objects.filter(pk=row.pk).update(text=BOTH)
        Upload.objects.filter(pk=upload.pk).update(preview=[{"text": BOTH}])
    return int(seeds.dataset_run.pk)


def test_markup_customers_write_never_runs_on_any_page_that_shows_it(acme, live_app, browser, request):
    from assistants.services import assistant_create, widget_key_create
    from knowledge import services as kb
    from tickets import links
    from tickets.models import Ticket

    make_user(acme, "csp-admin@acme.test", "admin")
    folder, port = request.getfixturevalue("customer_site")
    shop = f"http://localhost:{port}"
    with schema_context("acme"):
        # A crawled page's title is whatever that page says; this one answers the widget's question.
        document = kb.document_create_from_text(
            title=f"Delivery {BOTH}",
            text="Orders ship within 2 business days. Standard delivery takes 3 to 5 days.",
            language="en",
            visibility="public",
            enqueue=False,
        )
        kb.document_index(document_id=document.pk)
        bot = assistant_create(name="Acme helper", company="Acme", provider="extractive")
        key = widget_key_create(assistant=bot, allowed_origins=[shop])
    run = _hostile_dataset_run(acme)

    context = browser.new_context()
    page = context.new_page()
    watch = Watch(page)
    problems: list[str] = []

    # The portal: a request with a hostile subject, description, name and attachment name, then a reply.
    page.goto(live_app.url("acme", "/portal/"))
    page.get_by_label("Your email").fill("mallory@customer.example")
    page.get_by_label("Your name").fill(IMG)
    page.get_by_label("Subject").fill(BOTH)
    page.get_by_label("How can we help?").fill(f"Hello {BOTH}")
    attach = {"name": f"{IMG}.txt", "mimeType": "text/plain", "buffer": b"plain text"}
    page.locator("input[type=file][name=attachments]").set_input_files([attach])
    page.get_by_role("button", name="Send request").click()
    page.wait_for_url("**/portal/t/*/")
    page.get_by_label("Your reply").fill(f"More {BOTH}")
    page.locator("input[type=file][name=attachments]").set_input_files([attach])
    page.get_by_role("button", name="Send reply").click()
    page.wait_for_load_state()
    with schema_context("acme"):
        portal_ticket = Ticket.objects.select_related("requester").get(requester__email="mallory@customer.example")
        status_path = links.portal_path(portal_ticket)
        # all stored as written
        assert (portal_ticket.subject, portal_ticket.requester.name) == (BOTH, IMG)
        assert portal_ticket.replies.filter(body=f"More {BOTH}").count() == 1
        assert portal_ticket.attachments.filter(filename=f"{IMG}.txt").count() == 2
    status = page.goto(live_app.url("acme", status_path))
    assert status is not None and "script-src 'self'" in status.headers.get("content-security-policy", "")
    assert page.get_by_text(f"More {BOTH}").is_visible() and page.get_by_text(f"{IMG}.txt").first.is_visible()
    problems += watch.problems("portal status page")

    # The widget on the customer's own site, under a strict policy of that site: a hostile chat message
    # and handover, and the article with the hostile title named as a source.
    widget = live_app.url("acme", f"/assistants/widget.js?key={key.key}")
    origin = re.match(r"https?://[^/]+", widget)[0]  # type: ignore[index]
    (folder / "index.html").write_text(
        '<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="default-src \'self\'; '
        f"script-src {origin}; connect-src {origin}; style-src 'self'\"><title>Shop</title></head>"
        f'<body><h1>Shop</h1><script src="{widget}" async></script></body></html>'
    )
    page.goto(f"{shop}/index.html")
    page.get_by_role("button", name="Chat with us").click()
    dialog = page.get_by_role("dialog", name="Acme helper")
    assert dialog.locator(".hdw-head").evaluate("el => getComputedStyle(el).display") == "flex"  # styled
    dialog.get_by_label("Message").fill(f"How fast do orders ship? {BOTH}")
    dialog.get_by_role("button", name="Send", exact=True).click()
    dialog.locator(".hdw-src").wait_for(timeout=30_000)
    assert BOTH in dialog.locator(".hdw-src").inner_text()  # the title, as text
    dialog.get_by_role("button", name="Talk to a person").click()
    dialog.get_by_label("Your e-mail address").fill("eve@customer.example")
    dialog.get_by_label("Your name (optional)").fill(SCRIPT)
    dialog.get_by_role("button", name="Send to our team").click()
    dialog.get_by_text("is with our team").wait_for()
    problems += watch.problems("widget on the customer's site")
    with schema_context("acme"):
        chat_ticket = Ticket.objects.get(requester__email="eve@customer.example")

    # Staff open every page that shows what was written.
    sign_in(page, live_app, "csp-admin@acme.test")
    pages: dict[str, Callable[[], Any]] = {
        "/": lambda: page.get_by_role("heading").first,
        "/tickets/": lambda: page.get_by_text(BOTH).first,
        f"/tickets/{portal_ticket.number}/": lambda: page.get_by_text(f"More {BOTH}"),
        f"/tickets/{chat_ticket.number}/": lambda: page.get_by_text(SCRIPT).first,
        "/knowledge/": lambda: page.get_by_text(f"Delivery {BOTH}").first,
        f"/knowledge/{document.pk}/": lambda: page.get_by_text(f"Delivery {BOTH}").first,
        f"/datasets/runs/{run}/review/": lambda: page.get_by_text(BOTH).first,
    }
    for path, shown in pages.items():
        response = watch.goto(live_app.url("acme", path))
        assert response is not None and response.status == 200, path
        assert "script-src 'self'" in response.headers.get("content-security-policy", ""), path
        watch.settled()
        assert shown().is_visible(), path  # the hostile text is on the page, as text
        problems += watch.problems(path)
    context.close()
    assert not problems, "\n".join(problems)


def test_the_policy_stops_markup_that_reached_a_page_unescaped(acme, live_app, page):
    """What escaping misses (a |safe too many, an HTML e-mail shown one day) still does not run."""
    make_user(acme, "csp-agent@acme.test", "agent")
    watch = Watch(page)
    sign_in(page, live_app, "csp-agent@acme.test")

    def inject(route) -> None:
        # Fetched here, not by Playwright's driver: it cannot resolve acme.localhost (Chromium can).
        url = urlsplit(route.request.url)
        headers = {**route.request.headers, "host": url.netloc}
        with urlopen(Request(f"http://127.0.0.1:{url.port}{url.path}", headers=headers)) as response:
            body = response.read().decode()
            kept = {name: value for name, value in response.headers.items() if name.lower() != "content-length"}
        body = body.replace("</main>", f"{BOTH}<button hx-on:click='window.__pwned=3'>x</button></main>")
        route.fulfill(status=200, headers=kept, body=body)

    page.route("**/tickets/", inject)
    page.goto(live_app.url("acme", "/tickets/"))
    page.get_by_role("button", name="x", exact=True).click()
    expect(page.locator("img[src=x]")).to_have_count(1)  # the injected markup is on the page
    blocked: list[str] = []
    for _ in range(100):  # the image fails to load, then its onerror= is refused: reported a moment later
        blocked = page.evaluate("window.__violations")
        if len(blocked) >= 2:
            break
        page.wait_for_timeout(100)
    assert page.evaluate("typeof window.__pwned") == "undefined"  # without the policy: 1
    assert any(v.startswith("script-src-elem blocked inline") for v in blocked), blocked  # the <script>
    assert any(v.startswith("script-src-attr blocked inline") for v in blocked), blocked  # onerror=
    watch.console.clear()


def test_every_page_runs_without_a_policy_violation(page_walk: Walk):
    """Admin, API docs, every app's pages: what they load and run is what the policy allows (tests/walk.py)."""
    assert len(page_walk.policy_checked) > 60, page_walk.policy_checked
    assert not page_walk.policy_problems, "\n".join(page_walk.policy_problems)


def test_what_replaced_the_inline_handlers_still_works(acme, live_app, page):
    """Confirmations and select-on-click, once inline handlers, come from static/js/behaviors.js."""
    from tickets import services
    from tickets.models import Ticket

    make_user(acme, "csp-manager@acme.test", "manager")
    with schema_context("acme"):
        contact = services.contact_ensure(email="pat@customer.example", name="Pat")
        original = services.ticket_create(subject="Original", description="First", requester=contact, by=contact)
        duplicate = services.ticket_create(subject="Again", description="Second", requester=contact, by=contact)
    watch = Watch(page)
    sign_in(page, live_app, "csp-manager@acme.test")
    watch.goto(live_app.url("acme", f"/tickets/{duplicate.number}/"))
    watch.settled()

    asked: list[str] = []

    def dismiss(dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.get_by_text("Merge into another ticket").click()
    page.get_by_label("Ticket number of the original").fill(str(original.number))
    page.get_by_role("button", name="Merge", exact=True).click()
    page.wait_for_load_state()
    question = f"Merge #{duplicate.number} into {original.number}? This ticket is closed and its thread moves there."
    assert asked == [question]  # the field's value filled in
    with schema_context("acme"):
        assert Ticket.objects.get(pk=duplicate.pk).merged_into_id is None  # dismissed: nothing was sent

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Merge", exact=True).click()
    page.wait_for_url(f"**/tickets/{original.number}/")
    with schema_context("acme"):
        assert Ticket.objects.get(pk=duplicate.pk).merged_into_id == original.pk  # accepted: merged

    page.get_by_text("Customer status link").click()
    link = page.get_by_label("Customer status link")
    link.click()
    assert link.evaluate("el => el.selectionStart === 0 && el.selectionEnd === el.value.length")
    assert watch.problems("ticket page") == []
