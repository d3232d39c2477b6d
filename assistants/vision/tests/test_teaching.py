"""A manager corrects a screenshot's category in one click; the screenshot becomes an example of the label
and the next one like it is classified right (real OCR and embeddings, English and Russian)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django_tenants.utils import tenant_context

from assistants.vision import samples, services
from assistants.vision.models import ScreenshotLabel
from assistants.vision.tests.conftest import upload
from conftest import GLOBEX_HOST, login_client
from tickets import services as tickets

# Printer screens: the default labels have no example of them (English: "other", Russian: "payment_problem").
PRINTERS: dict[str, dict[str, Any]] = {
    "en": {
        "first": ("Printer", ["Paper jam in tray 2", "Open the rear cover"], "topbar"),
        "next": ("Printer", ["Paper jam in tray 1", "Open the front cover"], "sidebar"),
        "chrome": (["Home", "Help"], "My Account"),
    },
    "ru": {
        "first": ("Принтер", ["Замятие бумаги в лотке 2", "Откройте заднюю крышку"], "topbar"),
        "next": ("Принтер", ["Замятие бумаги в лотке 1", "Откройте переднюю крышку"], "sidebar"),
        "chrome": (["Главная", "Помощь"], "Личный кабинет"),
    },
}


def _screenshot_ticket(contact, language: str, which: str):
    title, lines, layout = PRINTERS[language][which]
    nav, account = PRINTERS[language]["chrome"]
    image, _ = samples.page(title, lines, nav=nav, account=account, layout=layout, font=samples.cyrillic_font())
    ticket = tickets.ticket_create(subject="Help", requester=contact, by=contact)
    reply = tickets.reply_add(
        ticket=ticket, body="See the screenshot", by=contact, files=[upload("p.png", samples.encode(image))]
    )
    attachment = reply.attachments.get()
    analysis = services.attachment_analyse(attachment_id=attachment.pk)
    assert analysis is not None
    return ticket, attachment, analysis


@pytest.mark.parametrize("language", ["en", "ru"])
def test_this_is_a_technical_failure_teaches_the_next_screenshot(
    manager_client, in_acme, contact, media_root, language
):
    ticket, attachment, analysis = _screenshot_ticket(contact, language, "first")
    assert analysis.category != "technical_failure", analysis.scores
    page = manager_client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "This is: Technical failure" in page
    response = manager_client.post(
        f"/vision/tickets/{ticket.number}/attachments/{attachment.pk}/teach/",
        {"label": "technical_failure"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "Saved as an example of “Technical failure”" in response.content.decode()
    analysis.refresh_from_db()
    assert analysis.category == "technical_failure" and analysis.confidence == 1.0
    learned = ScreenshotLabel.objects.get(name="technical_failure").example_lines[-1]
    assert PRINTERS[language]["first"][1][0] in learned and PRINTERS[language]["chrome"][1] not in learned
    _, _, following = _screenshot_ticket(contact, language, "next")
    assert following.category == "technical_failure", following.scores


def test_agents_may_not_teach_and_bad_labels_are_refused(manager_client, agent_client, in_acme, contact, media_root):
    ticket, attachment, _ = _screenshot_ticket(contact, "en", "first")
    url = f"/vision/tickets/{ticket.number}/attachments/{attachment.pk}/teach/"
    assert agent_client.post(url, {"label": "technical_failure"}).status_code == 403
    assert "This is:" not in agent_client.get(f"/tickets/{ticket.number}/").content.decode()
    refused = manager_client.post(url, {"label": "no_such_label"})
    assert refused.status_code == 400 and "No such label" in refused.content.decode()
    assert manager_client.post(url, {"label": "technical_failure"}).status_code == 302  # no HTMX: redirected


def test_another_tenants_manager_gets_404(in_acme, contact, media_root, globex, outsider):
    ticket, attachment, _ = _screenshot_ticket(contact, "en", "first")
    with tenant_context(globex):
        outsider.groups.add(Group.objects.get(name="manager"))
    client = login_client(globex, outsider, GLOBEX_HOST)
    url = f"/vision/tickets/{ticket.number}/attachments/{attachment.pk}/teach/"
    assert client.post(url, {"label": "technical_failure"}).status_code == 404
