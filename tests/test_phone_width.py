"""Every page fits a phone: at 390 px wide, no page scrolls sideways.

The pages come from the URLconf through tests/urlmatrix.py (with real objects seeded), so a
page added by any app is checked the day it lands. Each is opened in Chromium as a tenant
admin (who may see every page); what is not an HTML page (downloads, streams, JSON, a POST-only
action answering 405) is skipped, and the rest must be no wider than the screen.
"""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from conftest import PASSWORD, make_user
from tests import urlmatrix

PHONE = {"width": 390, "height": 844}

# Routes of the URLconf that take a value but read no page of their own, filled in or left out here.
FILLED = {"admin/{app_label}/": "/admin/tickets/"}
LEFT_OUT = {
    "admin/{url}": "the admin's catch-all: a 404 page",
    "admin/r/{content_type_id}/{object_id}/": "a redirect to the object's page elsewhere",
    "dev/mail/{name}/": "DEBUG only (404 in tests); its list page is checked by tests/test_mail_viewer",
}

# The elements sticking out on the right, deepest first: what to fix when a page is too wide.
WIDEST = """() => {
  const limit = window.innerWidth + 1, out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.right <= limit || box.width === 0) continue;
    let clipped = false;
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      const style = getComputedStyle(up);
      if (["auto", "scroll", "hidden", "clip"].includes(style.overflowX) && up.getBoundingClientRect().right <= limit) {
        clipped = true; break;
      }
    }
    if (clipped) continue;
    if ([...el.children].some((child) => child.getBoundingClientRect().right > limit)) continue;
    const names = typeof el.className === "string" ? el.className.trim().split(/\\s+/).filter(Boolean) : [];
    const classes = names.map((n) => "." + n).join("");
    const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + classes;
    out.push(name + " (" + Math.round(box.right) + "px)");
    if (out.length >= 4) break;
  }
  return out;
}"""


# When no element's own box sticks out (the overflow is text, or a pseudo-element such as a divider
# drawn after a breadcrumb), the elements whose content reaches past the screen or past themselves,
# so that a failure always names a place to look.
ANY_WIDE = """() => {
  const limit = window.innerWidth + 1, out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || (box.right <= limit && el.scrollWidth <= el.clientWidth + 1)) continue;
    const names = typeof el.className === "string" ? el.className.trim().split(/\\s+/).filter(Boolean) : [];
    out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + names.map((n) => "." + n).join("")
      + " (" + Math.round(box.right) + "px, content " + el.scrollWidth + "px in " + el.clientWidth + "px)");
    if (out.length >= 4) break;
  }
  return out.length ? out : ["the document itself (" + document.documentElement.scrollWidth + "px)"];
}"""

WIDTH = "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"


def _settled_width(page) -> int:
    """The page's width once it has stopped changing.

    What htmx loads after the page (the AI panel, a polled progress block) is part of the layout, and
    a swap or a web font arriving during the measurement can widen the page for a frame: a page too
    wide counts only when two measurements half a second apart, with nothing busy, agree.
    """
    width = -1
    for _ in range(10):
        # A locator, not wait_for_function: Playwright runs that string through eval(), which the policy refuses.
        expect(page.locator("[aria-busy=true]")).to_have_count(0, timeout=45_000)
        page.evaluate("document.fonts.ready.then(() => new Promise((r) => requestAnimationFrame(() => r())))")
        now = page.evaluate(WIDTH)
        if now <= PHONE["width"] or now == width:
            return now
        width = now
        page.wait_for_timeout(500)
    return width


def _runs_no_script(response) -> bool:
    """A document its policy sandboxes without scripts (a customer's own e-mail HTML): nothing can be measured in
    it (the browser never answers an evaluation there), and its width is the sender's, not ours."""
    policy = response.headers.get("content-security-policy", "")
    return any(
        words[0] == "sandbox" and "allow-scripts" not in words
        for words in (d.split() for d in policy.split(";"))
        if words
    )


@pytest.fixture
def db(committed):
    """Committed rows (the live server's thread must see them); see tests/test_tickets_browser.py."""
    return


def _paths(seeds: urlmatrix.Seeds) -> list[str]:
    paths = []
    for url in urlmatrix.tenant_urls():
        if url.kind == "api" or url.route in LEFT_OUT:
            continue
        paths.append(FILLED.get(url.route) or url.build(seeds))  # an unregistered kwarg fails with the fix
    return paths


def _seed_a_busy_tenant(seeds: urlmatrix.Seeds) -> None:
    """Long words and many fields: what makes a narrow page overflow."""
    from tickets import services

    seeds.ticket_answer  # noqa: B018 - a ticket with an AI draft, an attachment and a reply
    seeds.attachment  # noqa: B018
    seeds.macro  # noqa: B018
    seeds.dataset_rejected_row  # noqa: B018 - the dataset's rejected rows page lists one
    with schema_context("acme"):
        contact = services.contact_ensure(
            email="a.very.long.address.of.somebody@subdomain.customer-with-a-long-name.example", name="Bartholomew"
        )
        ticket = services.ticket_create(
            subject="Invoice INV-2026-000123456789 shows the wrong VAT for our Luxembourg subsidiary",
            description="https://portal.example.com/invoices/INV-2026-000123456789/download?format=pdf&copy=1",
            requester=contact,
            by=contact,
            tags=["billing", "vat", "luxembourg", "enterprise-customers"],
        )
        services.reply_add(ticket=ticket, body="x" * 120, by=contact)


def test_every_page_fits_a_phone_screen(db, live_app, browser):
    from helpdesk.tenants.models import Tenant

    acme = Tenant.objects.get(schema_name="acme")
    make_user(acme, "phone@acme.test", "admin")
    seeds = urlmatrix.Seeds(acme)
    _seed_a_busy_tenant(seeds)
    paths = _paths(seeds)
    context = browser.new_context(viewport=PHONE, device_scale_factor=1)
    page = context.new_page()
    page.goto(live_app.url("acme", "/accounts/login/"))
    page.get_by_label("Email").fill("phone@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_app.url("acme", "/"))

    checked, problems = [], []
    from playwright.sync_api import Error as BrowserError

    for path in [*paths, "/portal/"]:
        try:
            response = page.goto(live_app.url("acme", path), wait_until="load")
        except BrowserError:  # an empty error answer (a 405 of a POST-only action) is no page to lay out
            continue
        kind = response.headers.get("content-type", "") if response else ""
        if response is None or response.status != 200 or not kind.startswith("text/html") or _runs_no_script(response):
            continue
        width = _settled_width(page)
        checked.append(path)
        if width > PHONE["width"]:
            sticking_out = page.evaluate(WIDEST) or page.evaluate(ANY_WIDE)
            problems.append(f"{path}: {width}px wide; sticking out: {', '.join(sticking_out)}")
    landing = page.goto(live_app.url(None, "/"))
    assert landing is not None and landing.status == 200
    if page.evaluate("document.documentElement.scrollWidth") > PHONE["width"]:
        problems.append("/ (public landing page) is wider than the screen")
    context.close()
    assert len(checked) > 60, checked  # pages of every app were really opened
    assert not problems, "\n".join(problems)
