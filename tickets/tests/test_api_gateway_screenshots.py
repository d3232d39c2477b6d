"""Screenshots a gateway hands over through the API are the customer's screenshots: the attachment readers
get them as they get a portal upload, and the question the assistants answer quotes what they say."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from assistants.selectors import ticket_question
from assistants.services import assistant_create
from assistants.vision import samples
from helpdesk.celery import app
from tickets import extensions
from tickets.models import Ticket

# What the rendered payment dialog says, and the customer's own words, per language.
SCREENS = {
    "en": {
        "error": "Error 0x80070005: card declined by issuer.",
        "file": "checkout.png",
        "subject": "Payment",
        "body": "This is what I get.",
        "email": "maya@example.com",
    },
    "ru": {
        "error": "Ошибка 0x80070005: карта отклонена банком-эмитентом.",
        "file": "оплата.png",
        "subject": "Оплата",
        "body": "Вот что выходит.",
        "email": "olga@example.ru",
    },
}


def read_as_the_worker_would(acme, published) -> None:
    """Run each message sent to an attachment reader's task, in this process (the worker's job)."""
    app.loader.import_default_modules()  # the task modules a worker imports when it starts (autodiscovery)
    tasks = {processor.task for processor in extensions.attachment_processors() if processor.task}
    sent = [(name, args, kwargs) for name, args, kwargs in published if name in tasks]
    assert sent, "no attachment reader was told of the file"
    for name, args, kwargs in sent:
        with tenant_context(acme):
            app.tasks[name].apply(args=args, kwargs=kwargs, throw=True)


@pytest.mark.parametrize("language", sorted(SCREENS))
@pytest.mark.parametrize("sent_with", ["request", "customer_reply"])
def test_a_screenshot_from_a_gateway_joins_the_tickets_question(
    acme, acme_api, media_root, published, django_capture_on_commit_callbacks, language, sent_with
):
    screen = SCREENS[language]
    if language == "ru":
        with tenant_context(acme):  # a Russian-speaking team: its screenshots are read with Cyrillic first
            assistant_create(name="Поддержка", language="ru", provider="extractive")
    image, _ = samples.screen("payment_error", language)
    upload = SimpleUploadedFile(screen["file"], samples.encode(image), content_type="image/png")
    ticket_fields = {"subject": screen["subject"], "requester_email": screen["email"], "description": ""}
    with django_capture_on_commit_callbacks(execute=True):
        if sent_with == "request":
            created = acme_api.post("/api/v1/tickets/", {**ticket_fields, "files": [upload]})
            assert created.status_code == 201, created.content
            number = created.json()["number"]
        else:
            created = acme_api.post("/api/v1/tickets/", ticket_fields, content_type="application/json")
            number = created.json()["number"]
            reply = acme_api.post(
                f"/api/v1/tickets/{number}/replies/",
                {"as": "customer", "email": screen["email"], "body": screen["body"], "files": [upload]},
            )
            assert reply.status_code == 201, reply.content
    read_as_the_worker_would(acme, published)
    with tenant_context(acme):
        question = ticket_question(Ticket.objects.get(number=number)).question
    assert screen["error"] in question, question
    if sent_with == "customer_reply":
        assert question.startswith(f"{screen['subject']}\n\n{screen['body']}")  # the customer's own words lead
    [attachment] = acme_api.get(f"/api/v1/tickets/{number}/").json()["attachments"]
    vision = attachment["details"]["vision"]
    assert attachment["filename"] == screen["file"] and vision["status"] == "done"
    assert screen["error"] in vision["error_messages"] and vision["category"] == "payment_problem"
