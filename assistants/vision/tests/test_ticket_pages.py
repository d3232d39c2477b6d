"""The thread shows each screenshot's thumbnail, category chip and text; the text reaches search and answers."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django_tenants.utils import tenant_context

from assistants.selectors import ticket_question
from assistants.services import assistant_create
from assistants.services.drafting import answer_for_ticket
from assistants.vision import samples, services
from assistants.vision.models import AttachmentAnalysis, ScreenshotLabel
from assistants.vision.tests.conftest import upload
from conftest import GLOBEX_HOST, login_client
from knowledge import services as kb
from tickets import services as tickets
from tickets.models import Ticket, TicketEvent


def _read(reply):
    analyses = [services.attachment_analyse(attachment_id=a.pk) for a in reply.attachments.all()]
    return analyses[0]


def test_a_screenshot_only_ticket_shows_text_category_and_thumbnail(agent_client, screenshot_ticket):
    ticket, reply = screenshot_ticket
    page = agent_client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "Reading declined.png" in page and 'hx-trigger="every 2s"' in page  # polled until it is read
    analysis = _read(reply)
    assert analysis.status == "done" and analysis.category == "payment_problem"
    page = agent_client.get(f"/tickets/{ticket.number}/").content.decode()
    attachment = reply.attachments.get()
    assert f"/vision/tickets/{ticket.number}/attachments/{attachment.pk}/thumbnail/" in page
    assert "screenshot: Payment problem" in page
    assert "<code>0x80070005</code>" in page
    assert "<summary>Detected text" in page and "card declined by issuer" in page
    assert 'hx-trigger="every 2s"' not in page
    thumb = agent_client.get(f"/vision/tickets/{ticket.number}/attachments/{attachment.pk}/thumbnail/")
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/webp" and thumb.content[:4] == b"RIFF"
    fragment = agent_client.get(f"/vision/tickets/{ticket.number}/attachments/{attachment.pk}/")
    assert 'data-status="done"' in fragment.content.decode()


def test_apply_the_category_in_one_click(agent_client, screenshot_ticket):
    ticket, reply = screenshot_ticket
    attachment = reply.attachments.get()
    _read(reply)
    response = agent_client.post(
        f"/vision/tickets/{ticket.number}/attachments/{attachment.pk}/apply/", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 204 and response["HX-Refresh"] == "true"
    ticket.refresh_from_db()
    assert ticket.category == "payment_problem"
    assert TicketEvent.objects.filter(ticket=ticket, field="category", new_value="payment_problem").exists()
    assert "the ticket's category" in agent_client.get(f"/tickets/{ticket.number}/").content.decode()


def test_low_confidence_says_so(agent_client, screenshot_ticket, settings):
    ticket, reply = screenshot_ticket
    _read(reply)
    settings.VISION_LOW_CONFIDENCE = 1.0
    page = agent_client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "low confidence: check before applying" in page and "chip-unsure" in page


def test_a_damaged_image_shows_why(agent_client, in_acme, contact, media_root):
    # A file whose content is not a PNG at all is refused at upload; one that starts as a
    # PNG but is cut short passes the content check and is flagged here.
    damaged = samples.encode(samples.dialog(["Hello"]))[:400]
    ticket = tickets.ticket_create(subject="Broken", requester=contact, by=contact)
    reply = tickets.reply_add(ticket=ticket, body="x", by=contact, files=[upload("cut.png", damaged)])
    analysis = _read(reply)
    assert analysis.status == "invalid" and "damaged" in analysis.error
    page = agent_client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "Not a readable image" in page


def test_non_images_are_left_alone(in_acme, contact, media_root):
    ticket = tickets.ticket_create(subject="Log", requester=contact, by=contact)
    reply = tickets.reply_add(ticket=ticket, body="x", by=contact, files=[upload("app.log", b"boom", "text/plain")])
    assert services.attachment_analyse(attachment_id=reply.attachments.get().pk) is None
    assert not AttachmentAnalysis.objects.exists()


def test_screenshot_text_joins_full_text_search(agent_client, screenshot_ticket, in_acme):
    ticket, reply = screenshot_ticket
    assert ticket.number not in _found(agent_client, "declined issuer")
    _read(reply)
    assert ticket.number in _found(agent_client, "declined issuer")
    assert ticket.number in _found(agent_client, "0x80070005")


def _found(client: Client, query: str) -> list[int]:
    from tickets.filters import TicketFilter
    from tickets.selectors import ticket_queryset

    return [t.number for t in TicketFilter({"q": query}, queryset=ticket_queryset()).qs]


def test_the_answer_query_includes_the_screenshot_and_cites_the_right_article(screenshot_ticket):
    ticket, reply = screenshot_ticket
    for title, text in [
        (
            "Card declined errors",
            "Error 0x80070005 means the card issuer declined the payment. Ask your bank to allow the charge, "
            "or pay with another card.",
        ),
        ("Shipping times", "Parcels arrive in 3 to 5 working days. Express delivery takes one day."),
        ("Reset your password", "Use Forgot password on the sign-in page to get a reset link by email."),
    ]:
        document = kb.document_create_from_text(title=title, text=text, enqueue=False)
        kb.document_index(document_id=document.pk)
    assistant = assistant_create(name="Support", provider="extractive")
    assert "declined" not in ticket_question(ticket).question
    _read(reply)
    assert "card declined by issuer" in ticket_question(ticket).question
    draft = answer_for_ticket(ticket=ticket, assistant=assistant)
    cited = [c["document"] for c in draft.result["citations"]]
    assert cited and cited[0] == "Card declined errors", draft.result


def test_agents_screenshots_and_notes_are_not_the_question(in_acme, contact, agent, media_root, payment_png):
    ticket = tickets.ticket_create(subject="Help", requester=contact, by=contact)
    note = tickets.note_add(ticket=ticket, body="repro", by=agent, files=[upload("mine.png", payment_png)])
    _read(note)
    assert "declined" not in ticket_question(ticket).question


def test_ticket_api_shows_what_was_read(screenshot_ticket, acme):
    from tickets.tests.conftest import api_client

    ticket, reply = screenshot_ticket
    client = api_client(acme, "acme.localhost")
    pending = client.get(f"/api/v1/tickets/{ticket.number}/replies/").json()["results"][0]["attachments"][0]
    assert pending["details"] == {"vision": {"status": "pending"}}
    _read(reply)
    attachment = client.get(f"/api/v1/tickets/{ticket.number}/replies/").json()["results"][0]["attachments"][0]
    vision = attachment["details"]["vision"]
    assert vision["status"] == "done" and vision["category"] == "payment_problem"
    assert vision["error_codes"] == ["0x80070005"] and "card declined by issuer" in vision["text"]
    assert vision["lines"][0]["confidence"] > 0.5 and vision["low_confidence"] is False


@pytest.mark.parametrize("suffix", ["", "thumbnail/", "apply/"])
def test_another_tenant_gets_404(screenshot_ticket, globex, outsider, suffix):
    ticket, reply = screenshot_ticket
    _read(reply)
    attachment = reply.attachments.get()
    client = login_client(globex, outsider, GLOBEX_HOST)
    url = f"/vision/tickets/{ticket.number}/attachments/{attachment.pk}/{suffix}"
    response = client.post(url) if suffix == "apply/" else client.get(url)
    assert response.status_code == 404


@pytest.fixture
def stored_labels(in_acme, globex):
    """The default labels as rows in both tenants (a `committed` test elsewhere may have emptied the tables)."""
    services.labels_restore_defaults()
    with tenant_context(globex):
        services.labels_restore_defaults()


def test_another_tenants_label_is_404(globex, outsider, in_acme, stored_labels):
    label = ScreenshotLabel.objects.get(name="payment_problem")
    with tenant_context(globex):
        outsider.groups.add(Group.objects.get(name="manager"))
    client = login_client(globex, outsider, GLOBEX_HOST)
    # the same default labels exist in globex under other ids; a pk from acme that globex lacks is a 404
    with tenant_context(globex):
        missing = max(ScreenshotLabel.objects.values_list("pk", flat=True)) + label.pk + 1
    for url in (f"/vision/labels/{missing}/", f"/vision/labels/{missing}/delete/"):
        assert (client.post(url) if "delete" in url else client.get(url)).status_code == 404


def test_managers_edit_the_label_set_and_agents_only_read_it(manager_client, agent_client, in_acme, stored_labels):
    page = agent_client.get("/vision/labels/").content.decode()
    assert "Payment problem" in page and "Add a label" not in page
    assert agent_client.post("/vision/labels/", {"name": "x", "title": "X", "description": "d"}).status_code == 403
    response = manager_client.post(
        "/vision/labels/",
        {
            "name": "shipping_issue",
            "title": "Shipping issue",
            "description": "a parcel tracking page",
            "examples": "Parcel delayed\n\nLost in transit",
        },
    )
    assert response.status_code == 302
    label = ScreenshotLabel.objects.get(name="shipping_issue")
    assert label.example_lines == ["Parcel delayed", "Lost in transit"]
    bad = manager_client.post("/vision/labels/", {"name": "shipping_issue", "title": "Again", "description": "d"})
    assert bad.status_code == 400 and "already exists" in bad.content.decode()
    assert (
        manager_client.post(
            f"/vision/labels/{label.pk}/",
            {"name": "shipping_issue", "title": "Shipping", "description": "a tracking page", "is_fallback": "on"},
        ).status_code
        == 302
    )
    assert ScreenshotLabel.objects.get(is_fallback=True).name == "shipping_issue"
    assert manager_client.post(f"/vision/labels/{label.pk}/delete/").status_code == 302
    assert not ScreenshotLabel.objects.filter(name="shipping_issue").exists()


def test_new_labels_are_used_by_the_next_screenshot(in_acme, contact, media_root, payment_png):
    services.label_save(
        name="fraud_alert",
        title="Fraud alert",
        description="a bank warning about a blocked card",
        examples="Card declined by issuer\nYour card was blocked for suspected fraud\nError 0x80070005",
    )
    ticket = tickets.ticket_create(subject="?", requester=contact, by=contact)
    reply = tickets.reply_add(ticket=ticket, body="x", by=contact, files=[upload("a.png", payment_png)])
    analysis = _read(reply)
    assert "fraud_alert" in analysis.scores
    assert "payment_problem" in analysis.scores  # adding a label kept the defaults
    assert Ticket.objects.get(pk=ticket.pk).attachment_text.startswith("Payment failed")


def test_an_empty_label_set_means_the_defaults_and_can_be_stored(manager_client, in_acme):
    ScreenshotLabel.objects.all().delete()
    page = manager_client.get("/vision/labels/").content.decode()
    assert "the default ones are used" in page
    assert manager_client.post("/vision/labels/", {"restore_defaults": "1"}).status_code == 302
    assert ScreenshotLabel.objects.count() == 5 and ScreenshotLabel.objects.get(is_fallback=True).name == "other"
