"""Attachments everywhere a customer or an agent writes, checked by their content, not only their name."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django_tenants.utils import tenant_context

from conftest import ACME_HOST, GLOBEX_HOST
from tests import samples
from tickets import links, services
from tickets.models import Attachment, Reply, Ticket

HX = {"HX-Request": "true"}


def docx_bytes() -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph("Steps to reproduce")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("holiday.png", samples.exe_bytes(), "is a program"),
        ("notes.txt", samples.exe_bytes(), "is a program"),
        ("invoice.pdf", samples.png_bytes(), "is not a PDF document: its content looks like a PNG image"),
        ("photo.jpg", b"just some words, not a photo", "is not a JPEG image"),
        ("dump.log", b"\x00\x01\x02binary\x00" * 40, "does not contain text"),
        ("report.docx", samples.pdf_bytes(), "is not"),
    ],
)
def test_content_that_contradicts_the_name_is_refused(ticket, agent, media_root, name, content, problem):
    with pytest.raises(ValidationError) as error:
        services.reply_add(ticket=ticket, body="See attached", by=agent, files=[samples.upload(name, content)])
    assert problem in " ".join(error.value.messages) and name in " ".join(error.value.messages)
    assert not Attachment.objects.exists() and not Reply.objects.exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("screen.png", samples.png_bytes()),
        ("guide.pdf", samples.pdf_bytes()),
        ("export.csv", b"id,name\n1,Kim\n"),
        ("data.json", b'{"error": "E42"}'),
        ("cyrillic.txt", "Привет, принтер горит".encode("cp1251")),
        ("steps.docx", docx_bytes()),
    ],
)
def test_files_that_are_what_they_say_are_kept(ticket, agent, media_root, name, content):
    reply = services.reply_add(ticket=ticket, body="See attached", by=agent, files=[samples.upload(name, content)])
    assert reply.attachments.get().filename == name


def test_every_bad_file_is_named_at_once(ticket, agent, media_root):
    files = [samples.upload("a.png", samples.exe_bytes()), samples.png("ok.png"), samples.upload("b.txt", b"")]
    with pytest.raises(ValidationError) as error:
        services.reply_add(ticket=ticket, body="x", by=agent, files=files)
    messages = error.value.message_dict["attachments"]
    assert len(messages) == 2 and "a.png" in messages[0] and "b.txt is empty" in messages[1]


def test_new_ticket_form_takes_attachments(agent_client, in_acme, media_root):
    page = agent_client.get("/tickets/new/").content.decode()
    assert 'enctype="multipart/form-data"' in page and 'name="attachments"' in page
    form = {
        "requester_email": "ann@example.com",
        "subject": "Broken screen",
        "description": "See the photo",
        "priority": "normal",
    }
    bad = agent_client.post(
        "/tickets/new/", {**form, "attachments": [samples.upload("photo.png", samples.exe_bytes())]}
    )
    html = bad.content.decode()
    assert bad.status_code == 400 and "photo.png is a program" in html
    assert 'value="Broken screen"' in html and "See the photo" in html  # what was typed stays
    assert not Ticket.objects.exists()
    good = agent_client.post("/tickets/new/", {**form, "attachments": [samples.png("photo.png"), samples.pdf()]})
    ticket = Ticket.objects.get()
    assert good["Location"] == f"/tickets/{ticket.number}/"
    assert sorted(a.filename for a in ticket.attachments.filter(reply=None)) == ["guide.pdf", "photo.png"]
    detail = agent_client.get(f"/tickets/{ticket.number}/").content.decode()
    photo = ticket.attachments.get(filename="photo.png")
    assert f"/tickets/{ticket.number}/attachments/{photo.pk}/" in detail
    download = agent_client.get(f"/tickets/{ticket.number}/attachments/{photo.pk}/")
    assert b"".join(download.streaming_content) == samples.png_bytes()


def test_portal_request_and_reply_take_attachments(acme, clean_cache, media_root):
    portal = Client(HTTP_HOST=ACME_HOST)
    assert 'name="attachments"' in portal.get("/portal/").content.decode()
    form = {"email": "kim@customer.example", "subject": "Cracked case", "description": "I have a photo"}
    refused = portal.post("/portal/", {**form, "attachments": [samples.upload("photo.png", b"MZ not a png")]})
    assert refused.status_code == 400 and "photo.png is not a PNG image" in refused.content.decode()
    page = portal.post("/portal/", {**form, "attachments": [samples.png("photo.png")]}, follow=True)
    with tenant_context(acme):
        ticket = Ticket.objects.get()
        photo = ticket.attachments.get()
        status_path = links.portal_path(ticket)
    html = page.content.decode()
    assert "photo.png" in html and f"{status_path}attachments/{photo.pk}/" in html
    download = portal.get(f"{status_path}attachments/{photo.pk}/")
    assert b"".join(download.streaming_content) == samples.png_bytes()  # type: ignore[attr-defined]
    portal.post(f"{status_path}reply/", {"body": "And the log", "attachments": [samples.text("error.log")]})
    with tenant_context(acme):
        reply = Reply.objects.get()
        assert (reply.is_from_customer, reply.attachments.get().filename) == (True, "error.log")
    foreign = Client(HTTP_HOST=GLOBEX_HOST).get(f"{status_path}attachments/{photo.pk}/")
    assert foreign.status_code == 404


def test_successful_send_after_a_rejected_file_resets_the_form(agent_client, ticket, media_root):
    url = f"/tickets/{ticket.number}/reply/"
    rejected = agent_client.post(
        url,
        {"kind": "public", "body": "Here is the fix", "attachments": [samples.upload("fix.png", b"nope")]},
        headers=HX,
    )
    html = rejected.content.decode()
    assert rejected["HX-Retarget"] == "#reply-form" and "fix.png is not a PNG image" in html
    assert "Here is the fix" in html  # the error keeps the text
    sent = agent_client.post(url, {"kind": "public", "body": "Here is the fix"}, headers=HX).content.decode()
    form = sent[sent.index('<div id="reply-area"') :]
    assert 'hx-swap-oob="true"' in form[:80]  # a fresh form replaces the one with the error
    assert "Here is the fix" not in form and "is not a PNG image" not in form
    assert Reply.objects.get().body == "Here is the fix"
