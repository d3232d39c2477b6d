"""One walk of every page in Chromium, for two checks: the Content-Security-Policy and the phone width.

The pages come from the URLconf through tests/urlmatrix.py (with real objects seeded, and a busy
tenant's long words), so a page added by any app is checked the day it lands. A tenant admin (who
may see every page) opens each one at a phone's width (390 px); once it has settled (what htmx and
the streams load after it has arrived), the walk records the policy violations it caused, whether
anything injected ran, and its width. What is not an HTML page (downloads, streams, JSON, a POST-only
action answering 405) is skipped. Opening every page once, not once per check, halves the walk's time;
tests/test_csp_browser.py and tests/test_phone_width.py each judge their part of what it saw.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from django_tenants.utils import schema_context
from playwright.sync_api import Error as BrowserError
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

# --- Content-Security-Policy --------------------------------------------------------------------

# What is still loading: htmx marks the element of a request and the content it swaps in; our pages mark
# what they wait for (a streamed draft, a slot loading) with aria-busy.
BUSY = "[aria-busy=true], .htmx-request, .htmx-swapping, .htmx-settling"
QUIET = 0.15  # seconds with nothing loading or busy: a swap's new content starts its requests within milliseconds

# Recorded before any script of the page runs (an init script, which the policy does not govern).
LISTEN = """window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__violations.push(
    `${e.effectiveDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`));"""


class Watch:
    """Policy violations a page reports (console and events), whether anything injected ran, and its requests."""

    def __init__(self, page) -> None:
        self.page = page
        self.console: list[str] = []
        self.in_flight: set[Any] = set()
        page.add_init_script(LISTEN)
        page.on(
            "console",
            lambda m: self.console.append(m.text) if "Content Security Policy" in m.text else None,
        )
        page.on("request", lambda request: self.in_flight.add(request))
        page.on("requestfinished", lambda request: self.in_flight.discard(request))
        page.on("requestfailed", lambda request: self.in_flight.discard(request))

    def goto(self, url: str, **kwargs: Any) -> Any:
        """Opens a page; what the previous one still loads (a download that never finishes) is not this one's."""
        self.in_flight.clear()
        return self.page.goto(url, **kwargs)

    def problems(self, where: str) -> list[str]:
        found = [f"{where}: {text}" for text in self.console]
        found += [f"{where}: {text}" for text in self.page.evaluate("window.__violations || []")]
        if self.page.evaluate("typeof window.__pwned") != "undefined":
            found.append(f"{where}: injected markup ran")
        self.console.clear()
        return found

    def settled(self) -> None:
        """What htmx and the streams load after the page (the AI panel, the integrations slot) has arrived.

        Settled is: no request of the page in flight, htmx neither requesting nor swapping, nothing marked
        busy, all of it for QUIET seconds on end. Playwright's "networkidle" waits for the requests alone,
        always with 500 ms of quiet: most of the time of a walk of two hundred pages.
        """
        # A locator, not wait_for_function: Playwright evaluates that with eval(), which the pages' policy refuses.
        busy = self.page.locator(BUSY)
        deadline = time.monotonic() + 45
        quiet_since: float | None = None
        while True:
            pending = busy.count() or len(self.in_flight)  # count() also lets Playwright deliver request events
            now = time.monotonic()
            if pending:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = now
            elif now - quiet_since >= QUIET:
                return
            if now > deadline:
                urls = sorted(request.url for request in self.in_flight)
                raise AssertionError(f"{self.page.url} still busy after 45 s: {busy.count()} busy elements, {urls}")
            self.page.wait_for_timeout(20)


def sign_in(page, live_app, email: str) -> None:
    page.goto(live_app.url("acme", "/accounts/login/"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_app.url("acme", "/"))


# --- Phone width --------------------------------------------------------------------------------

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


def settled_width(page) -> int:
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


def runs_no_script(response) -> bool:
    """A document its policy sandboxes without scripts (a customer's own e-mail HTML): nothing can be measured in
    it (the browser never answers an evaluation there), and its width is the sender's, not ours."""
    policy = response.headers.get("content-security-policy", "")
    return any(
        words[0] == "sandbox" and "allow-scripts" not in words
        for words in (d.split() for d in policy.split(";"))
        if words
    )


# --- The walk -----------------------------------------------------------------------------------


def paths(seeds: urlmatrix.Seeds) -> list[str]:
    found = []
    for url in urlmatrix.tenant_urls():
        if url.kind == "api" or url.route in LEFT_OUT:
            continue
        found.append(FILLED.get(url.route) or url.build(seeds))  # an unregistered kwarg fails with the fix
    return found


def seed_a_busy_tenant(seeds: urlmatrix.Seeds) -> None:
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


def open_page(watch: Watch, url: str) -> Any:
    """The response of the page at ``url``, or None when the browser shows no page (an empty error answer, a
    download). After such an answer Chromium goes on to its own error page, and a navigation that starts before
    that one has arrived is interrupted by it: that navigation is tried again, not taken for an error."""
    for attempt in range(5):
        try:
            return watch.goto(url, wait_until="load")
        except BrowserError as exc:
            if "interrupted by another navigation" not in str(exc) or attempt == 4:
                return None
            watch.page.wait_for_timeout(50)
    return None


@dataclass
class Walk:
    """What the walk saw: the pages checked for each check, and what each check found."""

    policy_checked: list[str] = field(default_factory=list)
    policy_problems: list[str] = field(default_factory=list)
    phone_checked: list[str] = field(default_factory=list)
    phone_problems: list[str] = field(default_factory=list)


def walk_every_page(acme: Any, live_app: Any, browser: Any) -> Walk:
    """Every page of acme at a phone's width (the API docs also rendered), then the public landing page."""
    make_user(acme, "walk@acme.test", "admin")
    seeds = urlmatrix.Seeds(acme)
    seed_a_busy_tenant(seeds)
    seen = Walk()
    context = browser.new_context(viewport=PHONE, device_scale_factor=1)
    page = context.new_page()
    watch = Watch(page)
    sign_in(page, live_app, "walk@acme.test")
    for path in [*paths(seeds), "/portal/", "/api/docs/"]:
        # What Chromium itself reports on a file shown as a page (its image viewer styles the image
        # inline, refused by a file's `default-src 'none'`) is not a page of ours.
        watch.console.clear()
        response = open_page(watch, live_app.url("acme", path))
        kind = response.headers.get("content-type", "") if response else ""
        if response is None or response.status != 200 or not kind.startswith("text/html"):
            continue
        watch.settled()
        seen.policy_checked.append(path)
        seen.policy_problems += watch.problems(path)
        if path == "/api/docs/" or runs_no_script(response):  # the API's docs are Swagger UI's layout, not ours
            continue
        width = settled_width(page)
        seen.phone_checked.append(path)
        if width > PHONE["width"]:
            sticking_out = page.evaluate(WIDEST) or page.evaluate(ANY_WIDE)
            seen.phone_problems.append(f"{path}: {width}px wide; sticking out: {', '.join(sticking_out)}")
    watch.goto(live_app.url("acme", "/api/docs/"))
    page.locator(".swagger-ui .opblock").first.wait_for(timeout=30_000)  # Swagger UI ran and read the schema
    seen.policy_problems += watch.problems("/api/docs/ (rendered)")
    landing = page.goto(live_app.url(None, "/"))
    assert landing is not None and landing.status == 200
    if page.evaluate("document.documentElement.scrollWidth") > PHONE["width"]:
        seen.phone_problems.append("/ (public landing page) is wider than the screen")
    context.close()
    return seen
