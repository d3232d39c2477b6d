"""Screenshot analysis has its own Celery queue, so mail, escalations and indexing never wait behind OCR."""

from __future__ import annotations

from django.conf import settings

from helpdesk.celery import app
from tickets import extensions


def _queue(task_name: str) -> str:
    return str(app.amqp.router.route({}, task_name)["queue"].name)


def test_screenshot_analysis_goes_to_the_vision_queue():
    assert settings.VISION_QUEUE == "vision"
    for processor in extensions.attachment_processors():  # what tickets send for every new attachment
        if processor.task.startswith("assistants.vision."):
            assert _queue(processor.task) == "vision"
    assert _queue("assistants.vision.tasks.analyse_attachment") == "vision"


def test_mail_and_indexing_stay_on_the_default_queue():
    assert _queue("helpdesk.send_email") == app.conf.task_default_queue == "celery"
    assert _queue("knowledge.index_document") == "celery"
