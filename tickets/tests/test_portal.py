import re

import pytest
from django.core import signing
from django.test import Client
from django_tenants.utils import tenant_context

from conftest import ACME_HOST, GLOBEX_HOST
from tests import samples
from tickets import links, services
from tickets.models import Ticket

FORM = {"email": "kim@customer.example", "name": "Kim", "subject": "Cannot pay", "description": "Card declined"}


@pytest.fixture
def portal(acme, clean_cache) -> Client:
    return Client(HTTP_HOST=ACME_HOST)


def status_url(ticket) -> str:
    return links.portal_path(ticket)


def test_submit_creates_a_ticket_and_opens_its_signed_status_page(portal, in_acme):
    assert "Contact Acme Corporation support" in portal.get("/portal/").content.decode()
    response = portal.post("/portal/", FORM, follow=True)
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.requester.email, ticket.status) == ("portal", "kim@customer.example", "new")
    html = response.content.decode()
    assert response.redirect_chain[0][0].startswith("/portal/t/")
    assert f"We received your request #{ticket.number}" in html and "Card declined" in html


def test_validation_errors_keep_what_was_typed(portal, in_acme):
    response = portal.post("/portal/", {**FORM, "email": "kim@", "description": ""})
    html = response.content.decode()
    assert response.status_code == 400 and "Enter a valid email address." in html and 'value="Cannot pay"' in html
    assert not Ticket.objects.exists()


def test_honeypot_stores_nothing_but_looks_successful(portal, in_acme):
    response = portal.post("/portal/", {**FORM, "website": "http://spam.example"})
    assert response.status_code == 200 and "we received your request" in response.content.decode()
    assert not Ticket.objects.exists()


def test_submissions_are_rate_limited_per_address(portal, in_acme, settings):
    settings.TICKETS_PORTAL_SUBMIT_RATE = "2/m"
    assert portal.post("/portal/", FORM).status_code == 302
    assert portal.post("/portal/", FORM).status_code == 302
    blocked = portal.post("/portal/", FORM)
    assert blocked.status_code == 429 and "Too many requests" in blocked.content.decode()
    assert 'value="Cannot pay"' in blocked.content.decode()
    assert Ticket.objects.count() == 2
    other = Client(HTTP_HOST=ACME_HOST, REMOTE_ADDR="10.1.2.3")
    assert other.post("/portal/", FORM).status_code == 302


def test_status_page_shows_public_replies_only_and_takes_answers(portal, ticket, agent, acme):
    services.reply_add(ticket=ticket, body="Please restart the printer.", by=agent)
    services.note_add(ticket=ticket, body="Customer seems upset", by=agent)
    services.ticket_transition(ticket=ticket, status="pending", by=agent)
    url = status_url(ticket)
    html = portal.get(url).content.decode()
    assert "Please restart the printer." in html and "Customer seems upset" not in html
    assert ">Pending<" in html
    response = portal.post(f"{url}reply/", {"body": "Did that, still smoking"}, follow=True)
    assert "Your reply was sent." in response.content.decode()
    with tenant_context(acme):
        ticket.refresh_from_db()
        assert ticket.status == "open"
        assert ticket.replies.last().author_contact == ticket.requester
    assert portal.post(f"{url}reply/", {"body": " "}).status_code == 400


def test_csat_after_solving_once(portal, ticket, agent, acme):
    url = status_url(ticket)
    assert "How did we do?" not in portal.get(url).content.decode()
    refused = portal.post(f"{url}rate/", {"rating": 5})
    assert refused.status_code == 400 and "once the ticket is solved" in refused.content.decode()
    with tenant_context(acme):
        services.ticket_transition(ticket=ticket, status="solved", by=agent)
    assert "How did we do?" in portal.get(url).content.decode()
    response = portal.post(f"{url}rate/", {"rating": 5, "comment": "Fast!"}, follow=True)
    html = response.content.decode()
    assert "Thank you for your rating!" in html and "You rated this resolution 5/5" in html
    assert "How did we do?" not in html
    assert portal.post(f"{url}rate/", {"rating": 1}).status_code == 400
    with tenant_context(acme):
        ticket.refresh_from_db()
        assert (ticket.csat_rating, ticket.csat_comment) == (5, "Fast!")


def test_closed_ticket_takes_no_reply_on_the_portal(portal, ticket, agent, acme):
    with tenant_context(acme):
        services.ticket_transition(ticket=ticket, status="closed", by=agent)
        url = status_url(ticket)
    assert "This request is closed" in portal.get(url).content.decode()


def test_bad_tampered_or_foreign_links_answer_404(portal, ticket, acme):
    with tenant_context(acme):
        token = links.portal_token(ticket)
        forged = signing.dumps({"n": ticket.number, "c": ticket.requester_id}, salt="other")
    assert portal.get(f"/portal/t/{token}/").status_code == 200
    assert portal.get(f"/portal/t/{token[:-2]}xx/").status_code == 404
    assert portal.get(f"/portal/t/{forged}/").status_code == 404
    globex = Client(HTTP_HOST=GLOBEX_HOST)
    for suffix in ("", "reply/", "rate/"):
        url = f"/portal/t/{token}/{suffix}"
        response = globex.post(url, {"body": "x", "rating": 5}) if suffix else globex.get(url)
        assert response.status_code == 404


def test_expired_links_answer_404(portal, ticket, acme, settings):
    with tenant_context(acme):
        url = status_url(ticket)
    settings.TICKETS_PORTAL_LINK_MAX_AGE_DAYS = 0
    assert portal.get(url).status_code == 404


def test_csat_shows_on_the_dashboard(manager_client, ticket, agent, contact):
    services.ticket_transition(ticket=ticket, status="solved", by=agent)
    services.ticket_rate(ticket=ticket, contact=contact, rating=2)
    html = manager_client.get("/").content.decode()
    assert "2.0/5" in html and re.search(r"2 ★</th><td>1</td>", html)


def test_customer_downloads_files_of_public_replies_only(portal, ticket, agent, acme, media_root):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with tenant_context(acme):
        public = services.reply_add(ticket=ticket, body="Manual", by=agent, files=[samples.pdf()])
        note = services.note_add(ticket=ticket, body="Log", by=agent, files=[SimpleUploadedFile("secret.txt", b"pw")])
        url = status_url(ticket)
        public_file, note_file = public.attachments.get(), note.attachments.get()
    html = portal.get(url).content.decode()
    assert "guide.pdf" in html and "secret.txt" not in html
    download = portal.get(f"{url}attachments/{public_file.pk}/")
    assert b"".join(download.streaming_content) == samples.pdf_bytes()
    assert portal.get(f"{url}attachments/{note_file.pk}/").status_code == 404
    assert Client(HTTP_HOST=GLOBEX_HOST).get(f"{url}attachments/{public_file.pk}/").status_code == 404
