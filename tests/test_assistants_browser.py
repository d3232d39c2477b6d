"""The AI panel and the playground in a real browser: tokens stream in, the draft goes into the reply form."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from conftest import PASSWORD, make_user


@pytest.fixture
def db(committed):
    """Committed rows, under the name `db` on purpose: the shared fixtures (acme, agent…) ask for
    `db`, and here they must write for real so that the live server's thread sees their rows."""
    return


@pytest.fixture
def seeded(db):
    from assistants.services import assistant_create
    from helpdesk.tenants.models import Tenant
    from knowledge import services as kb
    from tickets import services

    acme = Tenant.objects.get(schema_name="acme")
    make_user(acme, "panel-agent@acme.test", "agent")
    with schema_context("acme"):
        document = kb.document_create_from_text(
            title="Reset your password",
            text="To reset your password, open Settings > Security and click Reset password. "
            "We email you a link that works for 24 hours.",
            language="en",
            enqueue=False,
        )
        kb.document_index(document_id=document.pk)
        bot = assistant_create(name="Streamer", company="Acme", provider="llamacpp", max_new_tokens=48)
        contact = services.contact_ensure(email="pat@customer.example", name="Pat")
        ticket = services.ticket_create(
            subject="Locked out", description="How do I reset my password?", requester=contact, by=contact
        )
    return {"ticket": ticket, "assistant": bot}


def sign_in(page, live_app, next_path: str) -> None:
    page.goto(live_app.url("acme", f"/accounts/login/?next={next_path}"))
    page.get_by_label("Email").fill("panel-agent@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{next_path}")


def test_agent_gets_a_streamed_cited_draft_and_inserts_it(seeded, live_app, page):
    ticket = seeded["ticket"]
    sign_in(page, live_app, f"/tickets/{ticket.number}/")
    panel = page.locator("#ai-panel")
    panel.get_by_text("No AI suggestion for this ticket yet").wait_for()
    page.evaluate("window.__noReload = true")
    streamed: list[str] = []
    page.on("response", lambda r: streamed.append(r.headers.get("content-type", "")) if "/stream/" in r.url else None)
    panel.get_by_role("button", name="Suggest reply").click()
    panel.get_by_role("button", name="Insert into reply").wait_for(timeout=60_000)
    assert "text/event-stream" in streamed[0]  # the draft arrived as server-sent events
    assert panel.get_by_role("link", name="Reset your password").first.is_visible()  # a cited snippet, linked
    draft = panel.locator(".ai-draft").inner_text()
    panel.get_by_role("button", name="Insert into reply").click()
    assert page.locator("#reply-form textarea[name=body]").input_value() == draft
    panel.get_by_role("button", name="Helpful", exact=True).click()
    panel.locator('button[aria-label="Helpful"][aria-pressed="true"]').wait_for()
    assert page.evaluate("window.__noReload") is True


def test_manager_style_playground_round_trip(seeded, live_app, page):
    bot = seeded["assistant"]
    sign_in(page, live_app, f"/assistants/{bot.pk}/playground/")
    page.get_by_label("Question").fill("How do I reset my password?")
    page.get_by_role("button", name="Ask").click()
    page.locator("#turns .turn-assistant:not(.streaming)").wait_for(timeout=60_000)
    assert page.locator("#inspector").get_by_text("Final prompt").is_visible()
    assert page.locator("#inspector").get_by_text("Reset your password").first.is_visible()
