"""E-mail out: customers hear of replies and status changes, agents of assignments, mentions and followed tickets."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from django.core import mail
from django.test import Client
from django_tenants.utils import schema_context

from conftest import make_user
from tickets import services


def sent_to(address: str) -> list[mail.EmailMessage]:
    return [m for m in mail.outbox if address in m.to]


def test_customer_gets_a_public_reply_with_the_status_link_but_not_notes(outbox, ticket, agent, contact):
    with outbox():
        services.note_add(ticket=ticket, body="Internal: check the toner", by=agent)
    with outbox():
        services.reply_add(ticket=ticket, body="Please switch it off.", by=agent)
    [message] = sent_to(contact.email)
    assert message.subject == f"[#{ticket.number}] Printer on fire"
    assert "Please switch it off." in message.body and "toner" not in message.body
    assert "http://acme.localhost:8000/portal/t/" in message.body or "https://acme.localhost/portal/t/" in message.body
    assert message.extra_headers["X-Helpdesk-Tenant"] == "acme"
    link = next(line for line in message.body.splitlines() if "/portal/t/" in line).strip()
    path = link.split("acme.localhost", 1)[1].split("/", 1)[1]
    assert Client(HTTP_HOST="acme.localhost").get(f"/{path}").status_code == 200


def test_a_customer_who_writes_in_gets_the_number_and_link(outbox, in_acme):
    with outbox():
        ticket = services.portal_request_submit(
            email="new@customer.example", name="New", subject="Where is my parcel?", description="Ordered last week"
        )
    [message] = sent_to("new@customer.example")
    assert message.subject == f"[#{ticket.number}] We received your request: Where is my parcel?"
    assert "/portal/t/" in message.body
    # A known address is only a claim until confirmed: it gets the confirmation link, not a status link.
    mail.outbox.clear()
    with outbox():
        services.portal_request_submit(
            email="new@customer.example", name="Other", subject="Send me everything", description="Please"
        )
    [confirm] = sent_to("new@customer.example")
    assert confirm.subject.startswith("Confirm your request") and "/portal/t/" not in confirm.body


def test_cc_gets_public_replies_with_their_own_link(outbox, ticket, agent, contact):
    with outbox():
        services.ticket_cc_set(ticket=ticket, emails="boss@northwind.example", by=agent)
    with outbox():
        services.reply_add(ticket=ticket, body="Fixed.", by=agent)
    [to_boss] = sent_to("boss@northwind.example")
    [to_dana] = sent_to(contact.email)
    assert "Hello boss@northwind.example" in to_boss.body and "Hello Dana Whitaker" in to_dana.body

    def link(message: mail.EmailMessage) -> str:
        return next(line for line in message.body.splitlines() if "/portal/t/" in line)

    assert link(to_boss) != link(to_dana)


def test_status_changes_reach_the_customer(outbox, ticket, agent, contact):
    with outbox():
        services.ticket_transition(ticket=ticket, status="solved", by=agent)
    [message] = sent_to(contact.email)
    assert message.subject.endswith("Your request is now solved")
    assert "reply on the status page" in message.body
    mail.outbox.clear()
    with outbox():
        services.reply_add(ticket=ticket, body="Still broken!", by=contact)  # reopens: no mail to the customer
    assert sent_to(contact.email) == []


def test_assignment_and_mentions_reach_agents_in_their_time_zone(outbox, ticket, agent, manager, acme):
    bob = make_user(acme, "bob@acme.test", "agent")
    with schema_context("acme"):
        bob.timezone = "Asia/Tokyo"
        bob.save()
        with outbox():
            services.ticket_assign(ticket=ticket, agent=bob, by=manager)
        [assigned] = sent_to("bob@acme.test")
        assert assigned.subject == f"[#{ticket.number}] Assigned to you: Printer on fire"
        assert "JST" in assigned.body and "mark assigned" in assigned.body
        mail.outbox.clear()
        with outbox():
            services.note_add(ticket=ticket, body='@alice and @"mark" please look', by=bob)
        assert sent_to("alice@acme.test")[0].subject.startswith(f"[#{ticket.number}] bob mentioned you")
        assert sent_to("mark@acme.test") and not sent_to("bob@acme.test")[1:]
        mail.outbox.clear()
        with outbox():
            services.ticket_assign(ticket=ticket, agent=bob, by=bob)  # no change, no mail
        with outbox():
            services.ticket_assign(ticket=ticket, agent=manager, by=manager)  # took it themselves
        assert not sent_to("mark@acme.test")


def test_followers_hear_of_customer_replies(outbox, ticket, agent, contact):
    with outbox():
        services.ticket_follow(ticket=ticket, user=agent)
    with outbox():
        services.reply_add(ticket=ticket, body="Any news?", by=contact)
    [message] = sent_to("alice@acme.test")
    assert "Customer reply" in message.subject and "Any news?" in message.body


def test_merged_requester_is_told_where_it_continues(outbox, make_ticket, agent):
    original = make_ticket("Printer on fire")
    lee = services.contact_ensure(email="lee@northwind.example")
    duplicate = make_ticket("Printer burning", requester=lee)
    with outbox():
        services.ticket_merge(source=duplicate, target=original, by=agent)
    [message] = sent_to("lee@northwind.example")
    assert f"continues as #{original.number}" in message.subject and "/portal/t/" in message.body


def test_a_reply_mail_is_written_by_the_worker(settings, committed, celery_worker):
    """End to end: the request only queues; the real worker writes the file under EMAIL_FILE_PATH."""
    marker = uuid.uuid4().hex
    with schema_context("acme"):
        agent = make_user_in_acme("mailer@acme.test")
        contact = services.contact_ensure(email=f"{marker}@customer.example")
        ticket = services.ticket_create(subject="Worker mail", requester=contact, by=contact)
        services.reply_add(ticket=ticket, body=f"Reply {marker}", by=agent)
    folder = Path(settings.EMAIL_FILE_PATH)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if folder.exists() and any(marker in f.read_text() and "/portal/t/" in f.read_text() for f in folder.iterdir()):
            return
        time.sleep(0.2)
    pytest.fail("the worker did not write the reply mail")


def make_user_in_acme(email: str):
    from helpdesk.accounts.services import user_create_or_update

    return user_create_or_update(email=email, role="agent", password="x-long-password-1").user
