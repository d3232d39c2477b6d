"""Provider inbound webhooks through django-anymail: the providers' documented payloads posted to the tenant's
host (the only fake is the provider itself, at the HTTP boundary); basic auth and Mailgun's signature checked."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from conftest import ACME_HOST
from mail.models import MailMessage, MailStatus
from mail.tests.conftest import corpus
from tickets.models import Reply, Ticket

SECRET = "provider:hook-secret"
SIGNING_KEY = "key-mailgun-signing"


@pytest.fixture
def webhooks(settings, mailbox):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET, "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}
    return mailbox


def auth(secret: str = SECRET) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(secret.encode()).decode()}


def mailgun_form(raw: bytes, key: str = SIGNING_KEY) -> dict[str, str]:
    """Mailgun's "forward() to a URL ending in mime" post: the raw message and the signature fields."""
    timestamp, token = str(int(time.time())), "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0"
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {
        "recipient": "support@acme.test",
        "sender": "bob.smith@example.com",
        "body-mime": raw.decode("utf-8", errors="surrogateescape"),
        "timestamp": timestamp,
        "token": token,
        "signature": signature,
    }


def postmark_json(raw: bytes) -> str:
    """Postmark's inbound JSON with "Include raw email content" on (the fields anymail reads, and RawEmail)."""
    return json.dumps(
        {
            "FromName": "Ivan",
            "From": "ivan.petrov@example.ru",
            "FromFull": {"Email": "ivan.petrov@example.ru", "Name": "Иван Петров"},
            "To": "support@acme.test",
            "ToFull": [{"Email": "support@acme.test", "Name": ""}],
            "Subject": "Ошибка оплаты",
            "MessageID": "22c74902-a0c1-4511-804f-341342852c90",
            "Date": "Mon, 7 Dec 2026 10:15:00 +0300",
            "TextBody": "",
            "HtmlBody": "",
            "Headers": [],
            "Attachments": [],
            "RawEmail": raw.decode("ascii"),
        }
    )


def test_mailgun_inbound_makes_a_ticket_and_threads_the_reply(webhooks, acme):
    client = Client(HTTP_HOST=ACME_HOST)
    url = "/mail/inbound/mailgun/inbound_mime/"
    assert client.post(url, mailgun_form(corpus("gmail_new.eml")), headers=auth()).status_code == 200
    assert client.post(url, mailgun_form(corpus("gmail_reply.eml")), headers=auth()).status_code == 200
    # The provider sends the same message again (it did not see our 200): nothing new.
    assert client.post(url, mailgun_form(corpus("gmail_reply.eml")), headers=auth()).status_code == 200
    with tenant_context(acme):
        ticket = Ticket.objects.get()
        assert ticket.subject == "Payment page shows error 502"
        assert list(Reply.objects.values_list("body", flat=True)) == ["It happens with Visa only, Mastercard works."]


def test_postmark_inbound_russian_mail_with_screenshot(webhooks, acme):
    client = Client(HTTP_HOST=ACME_HOST)
    response = client.post(
        "/mail/inbound/postmark/inbound/",
        postmark_json(corpus("ru_cp1251_screenshot.eml")),
        content_type="application/json",
        headers=auth(),
    )
    assert response.status_code == 200
    with tenant_context(acme):
        ticket = Ticket.objects.get()
        assert (ticket.subject, ticket.requester.name) == ("Ошибка оплаты", "Иван Петров")
        assert ticket.attachments.get().filename == "скриншот.png"


def test_a_wrong_signature_or_secret_is_refused(webhooks, acme):
    client = Client(HTTP_HOST=ACME_HOST)
    url = "/mail/inbound/mailgun/inbound_mime/"
    forged = mailgun_form(corpus("gmail_new.eml"), key="not-the-key")
    assert client.post(url, forged, headers=auth()).status_code == 400
    assert client.post(url, mailgun_form(corpus("gmail_new.eml")), headers=auth("provider:wrong")).status_code == 400
    postmark = client.post(
        "/mail/inbound/postmark/inbound/", postmark_json(corpus("gmail_new.eml")), content_type="application/json"
    )
    assert postmark.status_code == 400
    with tenant_context(acme):
        assert not MailMessage.objects.exists() and not Ticket.objects.exists()


def test_without_a_configured_secret_the_webhooks_are_off(mailbox, acme):
    client = Client(HTTP_HOST=ACME_HOST)
    response = client.post(
        "/mail/inbound/postmark/inbound/",
        postmark_json(corpus("gmail_new.eml")),
        content_type="application/json",
        headers=auth(),
    )
    assert response.status_code == 400
    with tenant_context(acme):
        assert not MailMessage.objects.filter(status=MailStatus.NEW_TICKET).exists()
