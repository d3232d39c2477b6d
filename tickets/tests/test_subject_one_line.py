"""A subject is saved on one line from every channel: a header with a line break would stop all mail of its ticket."""

from __future__ import annotations

from django.core import mail
from django.test import Client

from conftest import ACME_HOST
from tickets import services
from tickets.models import Ticket
from tickets.tests.conftest import api_client

HOSTILE = "Cannot pay\r\nBcc: x@y.example\n\tPlease   help "
ONE_LINE = "Cannot pay Bcc: x@y.example Please help"


def test_a_portal_subject_with_a_line_break_is_stored_on_one_line_and_mailed(outbox, in_acme, clean_cache):
    form = {"email": "kim@customer.example", "name": "Kim", "subject": HOSTILE, "description": "Card declined"}
    with outbox():
        response = Client(HTTP_HOST=ACME_HOST).post("/portal/", form)
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.subject == ONE_LINE
    [message] = mail.outbox
    assert message.to == ["kim@customer.example"]
    assert message.subject == f"[#{ticket.number}] We received your request: {ONE_LINE}"
    assert "x@y.example" not in message.recipients()


def test_api_subjects_are_stored_on_one_line_and_replies_are_mailed(outbox, acme, in_acme, contact):
    api = api_client(acme, ACME_HOST)
    created = api.post(
        "/api/v1/tickets/",
        {"subject": HOSTILE, "description": "Sync", "requester_email": contact.email},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content[:500]
    number = created.json()["number"]
    assert Ticket.objects.get(number=number).subject == ONE_LINE
    with outbox():
        replied = api.post(f"/api/v1/tickets/{number}/replies/", {"body": "We are on it."})
    assert replied.status_code == 201
    [message] = mail.outbox
    assert message.to == [contact.email] and message.subject == f"[#{number}] {ONE_LINE}"
    # An edit of the subject, too.
    assert (
        api.patch(
            f"/api/v1/tickets/{number}/", {"subject": "Refund\nplease"}, content_type="application/json"
        ).status_code
        == 200
    )
    assert Ticket.objects.get(number=number).subject == "Refund please"


def test_the_service_puts_any_whitespace_on_one_line(in_acme, contact, agent):
    ticket = services.ticket_create(subject="  Счёт\u2028не\r\nпришёл  ", requester=contact, by=agent)
    assert ticket.subject == "Счёт не пришёл"
    services.ticket_update(ticket=ticket, subject="Счёт\tоплачен", by=agent)
    ticket.refresh_from_db()
    assert ticket.subject == "Счёт оплачен"
