"""Which OCR engine reads a screenshot: rapidocr for Latin script, Tesseract for Russian.

rapidocr's bundled models know no Cyrillic letters (a Russian dialog comes back as ``80070005: -``),
and Tesseract's Russian model turns English into look-alike soup. So:

- when the screenshot is expected in Russian (the tenant's or its assistant's language), Tesseract
  ``rus`` reads it first; a result of mostly Cyrillic words read confidently is kept as is, anything
  else is read by rapidocr too and the better of the two is kept;
- otherwise rapidocr reads it first, as before; only when it found text but read few of those lines
  as words (the boxes of a Cyrillic screen) does Tesseract read it too.

"Better" is one rule, ``word_score``: the letters in real-looking words (two or more letters, one
script), each line weighted by its confidence. Both results go through ``lookalikes`` first.
Without Tesseract (not installed, no ``rus`` data) the rapidocr result stands and a warning says why.
"""

from __future__ import annotations

import logging
import re
import statistics
from collections.abc import Iterable
from dataclasses import replace

from django.conf import settings
from PIL import Image

from assistants.vision import ocr, tesseract
from assistants.vision.lookalikes import fix_lookalikes

logger = logging.getLogger(__name__)

# The Tesseract language read for each expected screenshot language; rapidocr covers the others.
TESSERACT_LANGUAGES = {"ru": "rus"}
_WORD = re.compile(r"[^\W\d_]{2,}")
_CYRILLIC_WORD = re.compile(r"^[\u0400-\u04ff]+$")
_LATIN_WORD = re.compile(r"^[A-Za-z]+$")
# A box's border next to the text comes back as a stray mark at the start or end of a line.
_EDGE_MARKS = re.compile(r"^(?:[|\[\]]+\s*|['‘’`]+\s+)+|(?:\s*[|\[\]]+|\s+['‘’`]+)+$")
_warned: set[str] = set()
_TRUSTED_CONFIDENCE = 0.85


def language_code(value: str | None) -> str:
    """``ru`` for ``ru``, ``ru-RU``, ``ru_RU`` or ``RU``; "" for nothing."""
    return re.split(r"[-_]", (value or "").strip().lower(), maxsplit=1)[0]


def _words(lines: Iterable[ocr.Line]) -> Iterable[tuple[str, float]]:
    for line in lines:
        if line.confidence >= settings.VISION_CLASSIFY_MIN_CONFIDENCE:
            for word in _WORD.findall(line.text):
                if _CYRILLIC_WORD.match(word) or _LATIN_WORD.match(word):
                    yield word, line.confidence


def word_score(result: ocr.OcrResult) -> float:
    """Letters in words of one script, two letters or more, each weighted by its line's confidence."""
    return sum(len(word) * confidence for word, confidence in _words(result.lines))


def cyrillic_share(result: ocr.OcrResult) -> float:
    """The share of the word letters (see ``word_score``) that are Cyrillic, 0 without words."""
    letters = cyrillic = 0
    for word, _ in _words(result.lines):
        letters += len(word)
        cyrillic += len(word) if _CYRILLIC_WORD.match(word) else 0
    return cyrillic / letters if letters else 0.0


def is_confident_russian(result: ocr.OcrResult) -> bool:
    """Mostly Cyrillic words, read with a confidence English never gets from the Russian model.

    On the sample screens Russian lines came back at 0.88-0.96 and English ones, read as Cyrillic
    soup ("Error" as Cyrillic look-alikes), at 0.50-0.82.
    """
    letters = sum(len(word) for word, _ in _words(result.lines))
    if letters < settings.VISION_MIN_TEXT_LETTERS:
        return False
    return cyrillic_share(result) >= 0.5 and word_score(result) / letters >= _TRUSTED_CONFIDENCE


def rapidocr_missed_text(result: ocr.OcrResult) -> bool:
    """rapidocr found text boxes but read few words in them: fewer than half of the boxes, or under
    twice ``VISION_MIN_TEXT_LETTERS`` letters in words (the boxes of a Cyrillic screen)."""
    if not result.detected:
        return False
    worded = sum(
        1
        for line in result.lines
        if line.confidence >= settings.VISION_CLASSIFY_MIN_CONFIDENCE and _WORD.search(line.text)
    )
    return worded * 2 < result.detected or word_score(result) < 2 * settings.VISION_MIN_TEXT_LETTERS


def clean_line(text: str) -> str:
    """A line with look-alike letters put right and the window edges Tesseract reads as ``|`` or ``'`` cut off."""
    return fix_lookalikes(_EDGE_MARKS.sub("", text))


def _fixed(result: ocr.OcrResult) -> ocr.OcrResult:
    lines = [replace(line, text=text) for line in result.lines if (text := clean_line(line.text))]
    return replace(result, lines=lines)


def _tesseract(image: Image.Image, language: str, *, text_height: int = 0) -> ocr.OcrResult | None:
    try:
        return _fixed(tesseract.read_text(image, language=language, text_height=text_height))
    except tesseract.TesseractUnavailable as exc:
        message = str(exc)
        if message not in _warned:
            _warned.add(message)
            logger.warning("Tesseract cannot read %s screenshots, rapidocr reads them instead: %s", language, message)
        return None


def _combined(chosen: ocr.OcrResult, *others: ocr.OcrResult) -> ocr.OcrResult:
    """``chosen`` with the time every engine took (the screenshot waited for all of them), by engine name."""
    timings = dict(chosen.timings_ms)
    elapsed = chosen.elapsed_ms
    for other in others:
        elapsed += other.elapsed_ms
        timings[other.engine] = round(other.elapsed_ms, 1)
    timings[chosen.engine] = round(chosen.elapsed_ms, 1)
    return replace(chosen, elapsed_ms=elapsed, timings_ms=timings)


def read_text(image: Image.Image, *, languages: Iterable[str] = ()) -> ocr.OcrResult:
    """The text of ``image`` (RGB) by the engine that reads it best; ``languages``: what the screen is expected in."""
    wanted = [TESSERACT_LANGUAGES[code] for code in map(language_code, languages) if code in TESSERACT_LANGUAGES]
    if wanted:
        first = _tesseract(image, wanted[0])
        if first is not None:
            if is_confident_russian(first):
                return _combined(first)
            second = _fixed(ocr.read_text(image))
            return _choose(first, second)
        return _combined(_fixed(ocr.read_text(image)))
    first = _fixed(ocr.read_text(image))
    if not rapidocr_missed_text(first):
        return _combined(first)
    height = round(statistics.median(first.box_heights)) if first.box_heights else 0
    fallback = _tesseract(image, settings.VISION_OCR_FALLBACK_LANGUAGE, text_height=height)
    return _combined(first) if fallback is None else _choose(first, fallback)


def _choose(first: ocr.OcrResult, second: ocr.OcrResult) -> ocr.OcrResult:
    """The result with more confident words (``word_score``); ``first`` on a tie."""
    if word_score(second) > word_score(first):
        return _combined(second, first)
    return _combined(first, second)
