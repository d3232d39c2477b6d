"""Russian words are longer than English ones: at 390 px (a phone) and 1280 px, no button, the queue's
bulk bar or the AI panel overflows, and no page scrolls sideways, for a Russian agent in Chromium."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from conftest import PASSWORD, make_user

WIDTHS = [390, 1280]

# Buttons, the bulk bar and the AI panel (and everything in them) whose content is wider than their box,
# or whose box reaches past the window.
OVERFLOWING = """() => {
  const limit = window.innerWidth + 1, out = [];
  const watched = "button, [role=button], input[type=submit], #bulk, #bulk *, #ai-panel, #ai-panel *, .sla-item";
  for (const el of document.querySelectorAll(watched)) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    const style = getComputedStyle(el);
    const clips = ["auto", "scroll"].includes(style.overflowX);
    if (box.right > limit || (!clips && el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0)) {
      const label = (el.innerText || el.value || "").trim().replace(/\\s+/g, " ").slice(0, 40);
      out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + " «" + label + "» ("
        + Math.round(box.right) + "px, content " + el.scrollWidth + "px in " + el.clientWidth + "px)");
    }
  }
  return out;
}"""
PAGE_WIDTH = "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"


@pytest.fixture
def db(committed):
    """Committed rows: the live server's thread must see them (see tests/test_tickets_browser.py)."""
    return


def _seed_russian_queue():
    from helpdesk.accounts.services import user_create_or_update
    from helpdesk.tenants.models import Tenant
    from tickets import services

    acme = Tenant.objects.get(schema_name="acme")
    make_user(acme, "olga.browser@acme.test", "admin")
    with schema_context("acme"):
        user_create_or_update(email="olga.browser@acme.test", role="admin", language="ru", full_name="Ольга")
        contact = services.contact_ensure(
            email="konstantin.konstantinopolsky@example.ru", name="Константин Константинопольский", language="ru"
        )
        ticket = None
        for subject in ("Не приходит SMS с кодом подтверждения", "Двойное списание абонентской платы за декабрь"):
            ticket = services.ticket_create(
                subject=subject,
                description="Здравствуйте! Не получается войти в личный кабинет уже второй день.",
                requester=contact,
                by=contact,
                tags=["личный-кабинет", "авторизация"],
            )
        assert ticket is not None
        return ticket


@pytest.mark.parametrize("width", WIDTHS)
def test_russian_pages_have_no_overflowing_buttons_bulk_bar_or_ai_panel(db, live_app, browser, width):
    ticket = _seed_russian_queue()
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="ru-RU", device_scale_factor=1)
    page = context.new_page()
    page.goto(live_app.url("acme", "/accounts/login/"))
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.get_by_label("Эл. почта").fill("olga.browser@acme.test")
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(live_app.url("acme", "/"))

    problems = []
    pages = ["/", "/tickets/", f"/tickets/{ticket.number}/", "/knowledge/", "/accounts/profile/", "/portal/"]
    for path in pages:
        page.goto(live_app.url("acme", path), wait_until="load")
        expect(page.locator("[aria-busy=true]")).to_have_count(0, timeout=45_000)
        if path == "/tickets/":
            expect(page.locator("#bulk")).to_be_visible()
            expect(page.locator("#bulk button")).to_have_text("Применить к выбранным")
        if path.startswith("/tickets/") and path != "/tickets/":
            expect(page.locator("#ai-panel")).to_be_visible()
        page.evaluate("document.fonts.ready")
        if page.evaluate(PAGE_WIDTH) > width:
            problems.append(f"{path}: the page is {page.evaluate(PAGE_WIDTH)}px wide")
        problems += [f"{path}: {item}" for item in page.evaluate(OVERFLOWING)]
    context.close()
    assert not problems, "\n".join(problems)
