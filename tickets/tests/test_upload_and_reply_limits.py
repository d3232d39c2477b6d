"""One visitor cannot flood a ticket: portal replies and ratings are rate-limited per address and per
ticket, and files are capped per message, per ticket and per tenant per day on every channel."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from conftest import ACME_HOST
from tests import samples
from tests.test_redis_down import redis_down  # noqa: F401  (a fixture)
from tickets import links, services
from tickets.models import Attachment, Reply, Ticket

# Big enough that two of them exceed 1 MB, small enough for any single-file limit; plain text passes the content check.
HALF_MB = 600 * 1024


def big_text(name: str = "log.txt") -> SimpleUploadedFile:
    return samples.upload(name, b"E42 printer overheating\n" * (HALF_MB // 24), "text/plain")


def visitor(address: str) -> Client:
    return Client(HTTP_HOST=ACME_HOST, REMOTE_ADDR=address)


def customer_replies(ticket: Ticket) -> int:
    return Reply.objects.filter(ticket=ticket, author_contact__isnull=False).count()


@pytest.fixture
def rate_three_an_hour(settings, clean_cache):
    settings.TICKETS_PORTAL_REPLY_RATE = "3/h"  # an hour-long window: a test cannot straddle two windows


def test_portal_replies_are_limited_per_address_and_per_ticket(rate_three_an_hour, make_ticket, contact):
    first, second = make_ticket("Printer on fire"), make_ticket("Invoice missing")
    first_url, second_url = links.portal_path(first), links.portal_path(second)
    flooder = visitor("203.0.113.7")
    for n in range(3):
        assert flooder.post(f"{first_url}reply/", {"body": f"Any news? ({n})"}).status_code == 302
    blocked = flooder.post(f"{first_url}reply/", {"body": "Still nothing, I wrote a long message here"})
    html = blocked.content.decode()
    assert blocked.status_code == 429 and "Too many messages on this request" in html
    assert "Still nothing, I wrote a long message here" in html  # nothing typed is lost
    assert customer_replies(first) == 3
    # Another address on the same link: the ticket's own limit holds.
    assert visitor("198.51.100.20").post(f"{first_url}reply/", {"body": "Me too"}).status_code == 429
    # The same address on another ticket: its address limit holds.
    assert flooder.post(f"{second_url}reply/", {"body": "And this one?"}).status_code == 429
    # Anyone else on another ticket is not affected.
    assert visitor("198.51.100.21").post(f"{second_url}reply/", {"body": "Hello"}).status_code == 302
    assert customer_replies(first) == 3 and customer_replies(second) == 1


def test_ratings_are_limited_too(settings, clean_cache, ticket, agent):
    settings.TICKETS_PORTAL_REPLY_RATE = "2/h"
    url = f"{links.portal_path(ticket)}rate/"
    flooder = visitor("203.0.113.8")
    assert flooder.post(url, {"rating": 1}).status_code == 400  # not solved yet
    assert flooder.post(url, {"rating": 1}).status_code == 400
    services.ticket_transition(ticket=ticket, status="solved", by=agent)
    blocked = flooder.post(url, {"rating": 1, "comment": "Slow"})
    assert blocked.status_code == 429 and "Too many messages" in blocked.content.decode()
    ticket.refresh_from_db()
    assert ticket.csat_rating is None


def test_too_many_files_in_one_portal_reply_is_a_form_error(settings, clean_cache, media_root, ticket):
    settings.TICKETS_MAX_FILES_PER_MESSAGE = 2
    url = f"{links.portal_path(ticket)}reply/"
    files = [samples.text(f"note{n}.txt") for n in range(3)]
    response = visitor("203.0.113.9").post(url, {"body": "Three logs attached", "attachments": files})
    html = response.content.decode()
    assert response.status_code == 400 and "Attach up to 2 files to one message (this one has 3)." in html
    assert "Three logs attached" in html
    assert customer_replies(ticket) == 0 and not Attachment.objects.exists()
    files = [samples.text(f"note{n}.txt") for n in range(2)]
    ok = visitor("203.0.113.9").post(url, {"body": "Two then", "attachments": files})
    assert ok.status_code == 302 and Attachment.objects.count() == 2


def test_a_ticket_holds_a_bounded_amount_of_files_from_any_channel(
    settings, clean_cache, media_root, ticket, agent_client, acme
):
    settings.TICKETS_MAX_UPLOAD_MB_PER_TICKET = 1
    url = f"{links.portal_path(ticket)}reply/"
    assert visitor("203.0.113.10").post(url, {"body": "Log one", "attachments": [big_text()]}).status_code == 302
    refused = visitor("203.0.113.10").post(url, {"body": "Log two", "attachments": [big_text()]})
    html = refused.content.decode()
    assert refused.status_code == 400 and "A ticket holds at most 1 MB of files" in html and "Log two" in html
    # The agent's page and the API keep to the same limit.
    page = agent_client.post(
        f"/tickets/{ticket.number}/reply/", {"kind": "public", "body": "Our log", "attachments": [big_text()]}
    )
    assert "A ticket holds at most 1 MB of files" in page.content.decode()
    with tenant_context(acme):
        assert Attachment.objects.filter(ticket=ticket).count() == 1
        assert customer_replies(ticket) == 1 and not Reply.objects.filter(body="Our log").exists()


def test_a_tenant_takes_a_bounded_amount_of_files_a_day(settings, clean_cache, media_root, make_ticket, agent):
    settings.TICKETS_MAX_UPLOAD_MB_PER_TENANT_DAY = 1
    first, second = make_ticket("Printer on fire"), make_ticket("Invoice missing")
    services.reply_add(ticket=first, body="Log", by=first.requester, files=[big_text()])
    url = f"{links.portal_path(second)}reply/"
    refused = visitor("203.0.113.11").post(url, {"body": "My log", "attachments": [big_text()]})
    assert refused.status_code == 400 and "(1 MB a day) is used up" in refused.content.decode()
    with pytest.raises(ValidationError, match="is used up"):
        services.ticket_create(
            subject="From an agent", requester=first.requester, by=agent, files=[big_text("other.txt")]
        )
    # Files stored more than a day ago no longer count.
    Attachment.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert visitor("203.0.113.11").post(url, {"body": "My log", "attachments": [big_text()]}).status_code == 302


def test_the_api_keeps_to_the_file_limits(settings, clean_cache, media_root, ticket, acme):
    from tickets.tests.conftest import api_client

    settings.TICKETS_MAX_FILES_PER_MESSAGE = 1
    api = api_client(acme, ACME_HOST)
    response = api.post(
        f"/api/v1/tickets/{ticket.number}/replies/",
        {"body": "Two files", "files": [samples.text("a.txt"), samples.text("b.txt")]},
    )
    assert response.status_code == 400 and "Attach up to 1 files" in response.content.decode()
    with tenant_context(acme):
        assert not Reply.objects.filter(body="Two files").exists()


def test_portal_replies_are_taken_while_redis_is_down(committed, redis_down):  # noqa: F811
    from helpdesk.tenants.models import Tenant

    acme = Tenant.objects.get(schema_name="acme")
    with tenant_context(acme):
        contact = services.contact_ensure(email="rita@customer.example")
        ticket = services.ticket_create(subject="Broker outage", requester=contact, by=contact)
        url = f"{links.portal_path(ticket)}reply/"
    response = visitor("203.0.113.12").post(url, {"body": "Hello while Redis is down"})
    assert response.status_code == 302, response.content[:500]
    with tenant_context(acme):
        assert Reply.objects.filter(ticket=ticket, body="Hello while Redis is down").exists()


def test_an_address_that_keeps_flooding_is_turned_away_before_its_upload_is_read(
    rate_three_an_hour, make_ticket, contact
):
    first, second = make_ticket("Printer on fire"), make_ticket("Invoice missing")
    url = f"{links.portal_path(first)}reply/"
    flooder = visitor("203.0.113.9")
    for n in range(3):
        assert flooder.post(url, {"body": f"Any news? ({n})"}).status_code == 302
    # Just over the rate, the visitor gets the form back with what they typed (the body was read).
    over = flooder.post(url, {"body": "Typed text number 4"})
    assert over.status_code == 429 and "Typed text number 4" in over.content.decode()
    for n in range(5, 7):
        flooder.post(url, {"body": f"Typed text number {n}"})
    # Twice over the rate, the post is turned away unread: nothing of it comes back, and no page is rendered.
    turned_away = flooder.post(url, {"body": "Typed text number 7", "attachments": samples.upload("a.txt", b"x")})
    assert turned_away.status_code == 429 and turned_away["Content-Type"].startswith("text/plain")
    assert "Typed text number 7" not in turned_away.content.decode()
    assert "Please wait a few minutes" in turned_away.content.decode()
    assert customer_replies(first) == 3
    # Another address on another ticket is still heard.
    assert visitor("198.51.100.30").post(f"{links.portal_path(second)}reply/", {"body": "Hi"}).status_code == 302
