"""The screenshot reader's entry in /health/deps: the OCR engines, and whether CLIP is configured."""

from __future__ import annotations

from importlib.util import find_spec

from assistants.vision import clip, ocr, tesseract


def check_vision() -> tuple[bool, str | None, dict[str, object]]:
    details: dict[str, object] = {}
    try:
        details["ocr"] = ocr.engine_version()
    except ocr.OcrUnavailable as exc:
        return False, f"OCR unavailable: {exc}", {"ocr": None, "clip": "unknown"}
    if find_spec("rapidocr") is None:
        return False, "OCR unavailable: rapidocr is not importable", {"ocr": None}
    try:
        details["ocr_russian"] = tesseract.check("rus")
    except tesseract.TesseractUnavailable as exc:
        # Not fatal: rapidocr still reads Latin script; Russian screenshots come back mostly empty.
        details["ocr_russian"] = f"unavailable: {exc}"
    if not clip.configured():
        details["clip"] = "not configured"
        return True, None, details
    try:
        details["clip"] = f"configured: {clip.check_checkpoint()}"
    except clip.ClipUnavailable as exc:
        details["clip"] = "misconfigured"
        return False, f"CLIP: {exc}", details
    return True, None, details
