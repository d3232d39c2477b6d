"""Status links that expire and can be revoked; public requests that name a known address must confirm it."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.core import signing
from django.test import Client

from conftest import ACME_HOST, GLOBEX_HOST
from tickets import links, services
from tickets.models import Contact, Ticket, TicketEvent

FORM: dict[str, Any] = {"subject": "Change my address", "description": "Send my orders to 1 Main St from now on."}


@pytest.fixture
def portal(acme, clean_cache) -> Client:
    return Client(HTTP_HOST=ACME_HOST)


@pytest.fixture
def sent_mail(mailoutbox):
    """Mail queued on commit is sent at once by the real task (Celery eager), into Django's test outbox."""
    from helpdesk.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield mailoutbox
    app.conf.task_always_eager = before


def tokens_in(html: str) -> set[str]:
    return set(re.findall(r"/portal/t/([^/\"]+)/", html))


def issued_days_ago(ticket: Ticket, days: float, monkeypatch) -> str:
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() - days * 86400)  # what django.core.signing stamps tokens with
    try:
        return links.portal_token(ticket)
    finally:
        monkeypatch.setattr(time, "time", real)


def test_a_status_link_expires_a_fixed_time_after_it_was_issued(portal, ticket, settings, monkeypatch):
    settings.TICKETS_PORTAL_LINK_MAX_AGE_DAYS = 90
    old = issued_days_ago(ticket, 89, monkeypatch)
    html = portal.get(f"/portal/t/{old}/").content.decode()
    assert tokens_in(html) == {old}  # the page reuses its own token: visiting never extends a link
    expires = links.token_expires_at(old)
    assert expires is not None and 0.9 < (expires.timestamp() - time.time()) / 86400 < 1.1
    assert "This link works until" in html
    expired = issued_days_ago(ticket, 91, monkeypatch)
    for suffix in ("", "reply/", "rate/"):
        response = portal.post(f"/portal/t/{expired}/{suffix}", {"body": "hi", "rating": 5}) if suffix else None
        assert (response or portal.get(f"/portal/t/{expired}/")).status_code == 404


def test_an_agent_revokes_every_link_of_a_ticket(portal, ticket, agent_client, outsider_client, sent_mail, in_acme):
    from django.test import TestCase

    old = links.portal_token(ticket)
    assert portal.get(f"/portal/t/{old}/").status_code == 200
    url = f"/tickets/{ticket.number}/portal-links/revoke/"
    assert outsider_client.post(url).status_code == 404
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = agent_client.post(url, {"send_new_link": "1"}, follow=True)
    assert "Earlier status links of this ticket no longer work" in response.content.decode()
    assert portal.get(f"/portal/t/{old}/").status_code == 404
    assert portal.post(f"/portal/t/{old}/reply/", {"body": "still here?"}).status_code == 404
    (new,) = tokens_in(response.content.decode())  # the ticket page shows the new link
    assert new != old and portal.get(f"/portal/t/{new}/").status_code == 200
    (message,) = sent_mail
    (mailed,) = tokens_in(message.body)
    # The mailed link is issued when it is sent, the page's when it renders: same key, maybe another second.
    assert message.to == ["dana@northwind.example"] and portal.get(f"/portal/t/{mailed}/").status_code == 200
    assert signing.loads(mailed, salt="tickets.portal:acme") == signing.loads(new, salt="tickets.portal:acme")
    assert TicketEvent.objects.filter(ticket=ticket, field="portal_links", new_value="revoked").exists()


def test_a_public_request_naming_a_known_address_waits_for_confirmation(
    portal, contact, agent_client, sent_mail, in_acme
):
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = portal.post("/portal/", {**FORM, "email": "Dana@Northwind.example", "name": "Not Dana"}, follow=True)
    ticket = Ticket.objects.get(subject="Change my address")
    claim = ticket.requester
    assert claim.pk != contact.pk and claim.claim_of == contact and claim.is_unverified_claim
    assert not contact.tickets.exists()  # nothing lands in the real customer's history yet
    assert "sent a link there" in response.content.decode()
    (message,) = sent_mail
    assert message.to == ["dana@northwind.example"] and "Change my address" in message.body
    (confirm_path,) = re.findall(r"http://acme\.localhost(/portal/confirm/[^/\s]+/)", message.body)

    page = agent_client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "unverified" in page and "do not trust" in page
    assert [c["email"] for c in agent_client.get("/api/v1/contacts/").json()["results"]] == [contact.email]

    assert "Yes, it was me" in portal.get(confirm_path).content.decode()  # a GET (mail scanners) changes nothing
    assert Ticket.objects.get(pk=ticket.pk).requester_id == claim.pk
    assert Client(HTTP_HOST=GLOBEX_HOST).post(confirm_path).status_code == 404
    confirmed = portal.post(confirm_path, follow=True)
    assert "is confirmed" in confirmed.content.decode()
    ticket.refresh_from_db()
    assert ticket.requester_id == contact.pk and not Contact.objects.filter(pk=claim.pk).exists()
    assert confirmed.redirect_chain[-1][0].startswith("/portal/t/")
    assert portal.post(confirm_path).status_code == 404  # used once
    event = TicketEvent.objects.get(ticket=ticket, field="requester")
    assert event.new_value == "dana@northwind.example (confirmed)"
    assert "do not trust" not in agent_client.get(f"/tickets/{ticket.number}/").content.decode()


def test_a_new_address_needs_no_confirmation(portal, sent_mail, in_acme):
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        portal.post("/portal/", {**FORM, "email": "new@customer.example", "name": "New"})
    assert not Ticket.objects.get().requester.is_unverified_claim
    # No confirmation to follow: only the "we received your request" note with the status link.
    assert [m.subject.split(" ", 1)[1].split(":")[0] for m in sent_mail] == ["We received your request"]


def test_the_api_shows_an_unverified_requester(portal, contact, in_acme):
    ticket = services.portal_request_submit(email=contact.email, name="X", **FORM)
    api = Client(HTTP_HOST=ACME_HOST, headers={"Authorization": f"Api-Key {_key()}"})
    body = api.get(f"/api/v1/tickets/{ticket.number}/").json()
    assert body["requester"]["unverified"] is True and body["requester"]["email"] == contact.email


def _key() -> str:
    from helpdesk.accounts.services import api_key_issue

    return api_key_issue(name="trust-tests").raw_key


def test_a_widget_handover_naming_a_known_address_is_unverified(in_acme, contact, sent_mail):
    from django.test import TestCase

    from assistants.models import Conversation
    from assistants.services import assistant_create, chat_escalate_to_ticket

    bot = assistant_create(name="Helper", company="Acme", provider="extractive")
    conversation = Conversation.objects.create(assistant=bot)
    conversation.messages.create(role="user", content="Please change my delivery address")
    with TestCase.captureOnCommitCallbacks(execute=True):
        answer = chat_escalate_to_ticket(
            assistant=bot,
            session_id=str(conversation.session_id),
            email=contact.email,
            site_url="https://help.acme.example/",
        )
    assert answer["unverified"] is True
    (message,) = sent_mail
    assert "https://help.acme.example/portal/confirm/" in message.body


def test_merging_an_unverified_claim_never_copies_the_claimant(portal, contact, agent, sent_mail, in_acme):
    from django.test import TestCase

    victims = services.ticket_create(subject="My orders", description="Private", requester=contact, by=contact)
    services.reply_add(ticket=victims, body="Your new card ends in 4242.", by=agent)
    claim_ticket = services.portal_request_submit(email=contact.email, name="Not Dana", **FORM)
    claimant_link = links.portal_path(claim_ticket)
    assert portal.get(claimant_link).status_code == 200
    sent_mail.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.ticket_merge(source=claim_ticket, target=victims, by=agent)
    claim = claim_ticket.requester
    assert not victims.cc.filter(pk=claim.pk).exists()
    # Neither the claimant's old link nor one naming the claim on the victim's ticket opens anything.
    assert portal.get(claimant_link).status_code == 404
    assert portal.post(f"{claimant_link}reply/", {"body": "let me in"}).status_code == 404
    assert portal.get(links.portal_path(victims, claim)).status_code == 404
    # The merge note goes to the claimed address (the real customer's), with the real customer's link.
    (message,) = sent_mail
    assert message.to == [contact.email]
    (mailed,) = tokens_in(message.body)
    page = portal.get(f"/portal/t/{mailed}/").content.decode()
    assert "ends in 4242" in page and signing.loads(mailed, salt="tickets.portal:acme")["c"] == contact.pk


def test_merging_revokes_the_duplicates_status_links(portal, contact, agent, sent_mail, in_acme):
    from django.test import TestCase

    original = services.ticket_create(subject="Printer on fire", requester=contact, by=contact)
    lee = services.contact_ensure(email="lee@northwind.example")
    duplicate = services.ticket_create(subject="Printer burning", requester=lee, by=lee)
    old = links.portal_path(duplicate)
    sent_mail.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.ticket_merge(source=duplicate, target=original, by=agent)
    assert portal.get(old).status_code == 404
    assert TicketEvent.objects.filter(ticket=duplicate, field="portal_links", new_value="revoked").exists()
    # A verified requester is copied on the original and follows it from the link in the merge note.
    assert original.cc.filter(pk=lee.pk).exists()
    (message,) = sent_mail
    (mailed,) = tokens_in(message.body)
    assert message.to == ["lee@northwind.example"] and portal.get(f"/portal/t/{mailed}/").status_code == 200
