"""Screenshots in Russian and English through the real engines: which one reads, how well, and what follows."""

from __future__ import annotations

import logging

import pytest
from rapidfuzz.distance import Levenshtein

from assistants.selectors import ticket_question
from assistants.services import assistant_create
from assistants.vision import pipeline, reading, samples, selectors, services
from assistants.vision.imaging import load_image
from assistants.vision.tests.conftest import upload
from helpdesk.tenants.db import connection
from tickets import services as tickets


def char_accuracy(expected: str, got: str) -> float:
    return 1 - Levenshtein.normalized_distance(" ".join(expected.split()), " ".join(got.split()))


@pytest.mark.parametrize(("variant", "floor"), [("clean", 0.95), ("low_contrast", 0.95), ("blurred", 0.93)])
def test_a_russian_error_dialog_reads_with_its_code_exact(default_labels, variant, floor):
    image, drawn = samples.screen("error_dialog", "ru", variant=variant)
    result = pipeline.analyse(samples.encode(image), default_labels, use_clip=False, languages=["ru"])
    assert result.ocr_engine == "tesseract"
    assert char_accuracy(drawn, result.text) >= floor, result.text
    assert result.error_codes == ["0x80070005"]
    assert "Ошибка 0x80070005: отказано в доступе." in result.error_messages


@pytest.mark.parametrize("languages", [["ru"], []])
def test_a_russian_payment_error_is_a_payment_problem(default_labels, languages):
    """With the tenant's language known, and without it (rapidocr finds text it cannot read; Tesseract reads it)."""
    image, _ = samples.screen("payment_error", "ru")
    result = pipeline.analyse(samples.encode(image), default_labels, use_clip=False, languages=languages)
    assert result.ocr_engine == "tesseract"
    assert "карта отклонена банком-эмитентом" in result.text
    assert result.category == "payment_problem", result.scores
    assert result.error_codes == ["0x80070005"]


@pytest.mark.parametrize("kind", ["login_page", "router_status"])
def test_other_russian_screens_are_sorted_too(default_labels, kind):
    image, _ = samples.screen(kind, "ru")
    result = pipeline.analyse(samples.encode(image), default_labels, use_clip=False, languages=["ru"])
    expected = {"login_page": "interface_error", "router_status": "technical_failure"}[kind]
    assert result.category == expected, (result.text, result.scores)


@pytest.mark.parametrize("languages", [["en"], [], ["ru"]])
def test_an_english_screenshot_reads_as_before_whatever_the_tenant_speaks(default_labels, languages):
    image, drawn = samples.screen("payment_error", "en", variant="blurred")
    result = pipeline.analyse(samples.encode(image), default_labels, use_clip=False, languages=languages)
    assert result.ocr_engine == "rapidocr"
    assert char_accuracy(drawn, result.text) >= 0.98, result.text
    assert result.category == "payment_problem"
    assert result.error_codes == ["0x80070005"]


def test_english_screens_do_not_wait_for_tesseract(payment_png):
    """No Russian expected and rapidocr read the words: Tesseract never runs (English stays as fast as it was)."""
    result = reading.read_text(load_image(payment_png).image, languages=["en"])
    assert result.engine == "rapidocr" and "tesseract" not in result.timings_ms


@pytest.mark.parametrize("languages", [["ru"], []])
def test_a_photo_stays_without_text(photo_jpeg, default_labels, languages):
    result = pipeline.analyse(photo_jpeg, default_labels, use_clip=False, languages=languages)
    assert result.text == "" and result.category == "other"


def test_without_tesseract_rapidocr_reads_and_a_warning_says_why(settings, caplog):
    settings.VISION_TESSERACT_CMD = "/nonexistent/tesseract-for-this-test"
    image, _ = samples.screen("payment_error", "ru")
    with caplog.at_level(logging.WARNING, logger="assistants.vision.reading"):
        result = reading.read_text(image, languages=["ru"])
    assert result.engine == "rapidocr"
    assert "карта" not in result.text  # what rapidocr's Latin models can do with it
    assert any("/nonexistent/tesseract-for-this-test" in record.getMessage() for record in caplog.records)


def test_a_russian_assistant_makes_tesseract_read_first(in_acme, contact, media_root):
    image, _ = samples.screen("payment_error", "ru")
    assert "ru" not in selectors.screenshot_languages()
    assistant_create(name="Поддержка", language="ru", provider="extractive")
    assert selectors.screenshot_languages()[0] == "ru"
    ticket = tickets.ticket_create(subject="Оплата картой", requester=contact, by=contact, description="")
    files = [upload("oplata.png", samples.encode(image))]
    reply = tickets.reply_add(ticket=ticket, body="Скриншот", by=contact, files=files)
    analysis = services.attachment_analyse(attachment_id=reply.attachments.get().pk)
    assert analysis is not None and analysis.category == "payment_problem"
    assert analysis.timings_ms["ocr_tesseract_ms"] > 0 and "ocr_rapidocr_ms" not in analysis.timings_ms
    assert analysis.error_codes == ["0x80070005"]
    ticket.refresh_from_db()
    assert "карта отклонена банком-эмитентом" in ticket.attachment_text  # full-text search
    assert "Ошибка 0x80070005: карта отклонена банком-эмитентом" in ticket_question(ticket).question  # answers


def test_a_russian_tenant_makes_tesseract_read_first(in_acme, monkeypatch):
    """The tenant's own language counts as well (an attribute read with getattr: tenants may not have one)."""
    assert "ru" not in selectors.screenshot_languages()
    monkeypatch.setattr(connection.tenant, "language", "ru-RU", raising=False)
    assert selectors.screenshot_languages() == ["ru-RU"]
    assert reading.language_code("ru-RU") == "ru"
