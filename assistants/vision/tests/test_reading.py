"""OCR on rendered screenshots, error codes picked out, and the classifiers that turn them into a category."""

from __future__ import annotations

import pytest

from assistants.vision import ocr, pipeline, samples
from assistants.vision.imaging import load_image


def test_ocr_reads_a_rendered_dialog_line_by_line(payment_png):
    result = ocr.read_text(load_image(payment_png).image)
    texts = [line.text for line in result.lines]
    assert any("card declined by issuer" in t for t in texts), texts
    assert texts.index(next(t for t in texts if "Payment failed" in t)) < texts.index(
        next(t for t in texts if "declined" in t)
    )  # top to bottom
    assert all(0.5 <= line.confidence <= 1 for line in result.lines)
    assert all(line.box[0] < line.box[2] and line.box[1] < line.box[3] for line in result.lines)


def test_ocr_reads_big_screens_scaled_down(settings):
    settings.VISION_OCR_MAX_SIDE = 1000
    image = samples.dialog(["Connection timed out"], size=(2400, 700), font_size=48)
    result = ocr.read_text(image)
    assert result.scale < 1
    assert any("timed out" in line.text for line in result.lines)
    assert max(line.box[2] for line in result.lines) > 1000  # boxes are in the original image's pixels


@pytest.mark.parametrize(
    ("lines", "codes"),
    [
        (["Error 0x80070005: card declined by issuer"], ["0x80070005"]),
        (["Error Ox80070005: access denied"], ["0x80070005"]),  # the OCR read the zero as an O
        (["ERR_CONNECTION_REFUSED", "This site can't be reached"], ["ERR_CONNECTION_REFUSED"]),
        (["502 Bad Gateway"], ["502"]),
        (["HTTP 404 while loading", "status: 500"], ["404", "500"]),
        (["Unhandled NullPointerException in checkout"], ["NullPointerException"]),
        (["Printer shows E42 and PAY-5003"], ["E42", "PAY-5003"]),
        (["Welcome back, Dana", "Your plan renews on 12 May"], []),
    ],
)
def test_error_codes_are_picked_out(lines, codes):
    assert ocr.pick_errors(lines)[0] == codes


def test_error_messages_are_the_lines_that_say_something_failed():
    _, messages = ocr.pick_errors(["Checkout", "Your card was declined.", "Order total $42.00", "Try again"])
    assert messages == ["Your card was declined.", "Try again"]


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Payment unsuccessful. The bank declined the transaction.", "payment_problem"),
        ("504 Gateway Timeout. The server did not respond in time.", "technical_failure"),
        ("The password you entered is incorrect. Forgot your password?", "interface_error"),
        ("Team plan $49 per month. Pro plan $99 per month. Compare features.", "product_question"),
    ],
)
def test_text_classifier_sorts_screen_text_into_the_default_labels(default_labels, text, label):
    scores = pipeline.classify_text(text, default_labels)
    assert max(scores, key=scores.__getitem__) == label, scores
    assert sum(scores.values()) == pytest.approx(1.0)


def test_screenshot_with_text_is_classified_from_its_text(payment_png, default_labels):
    result = pipeline.analyse(payment_png, default_labels, use_clip=False)
    assert result.category == "payment_problem"
    assert result.source == "ocr"
    assert result.confidence > 0.5 and not result.low_confidence
    assert result.error_codes == ["0x80070005"]
    assert "card declined by issuer" in result.text
    assert result.thumbnail[:4] == b"RIFF"  # WebP


def test_image_without_text_and_without_clip_gets_the_fallback_label(photo_jpeg, default_labels):
    result = pipeline.analyse(photo_jpeg, default_labels, use_clip=False)
    assert (result.category, result.confidence, result.source) == ("other", 0.0, "none")
    assert result.text == "" and result.scores == {}
    assert result.low_confidence


def test_decide_mixes_both_sides_by_the_text_weight(settings, default_labels):
    settings.VISION_TEXT_WEIGHT = 0.75
    text = {"payment_problem": 0.7, "other": 0.3}
    clip = {"payment_problem": 0.2, "other": 0.8}
    category, confidence, source, scores = pipeline.decide(default_labels, text, clip)
    assert source == "both"
    assert scores["payment_problem"] == pytest.approx(0.75 * 0.7 + 0.25 * 0.2)
    assert (category, confidence) == ("payment_problem", pytest.approx(0.575))
    # the image side alone would have said "other": the text outweighs it
    assert pipeline.decide(default_labels, {}, clip)[0] == "other"
