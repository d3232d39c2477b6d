"""Text in images with Tesseract (Debian's ``tesseract-ocr`` and its language packs) through pytesseract.

rapidocr's bundled models read Latin script only; Tesseract's ``rus`` model reads Russian (and the
digits and Latin capitals of codes, with look-alike slips that ``lookalikes`` puts right). Each call
runs the ``tesseract`` program once; ``TesseractUnavailable`` says why it cannot run.
"""

from __future__ import annotations

import re
import resource
import threading
import time
from functools import cache

import numpy as np
import pytesseract
from django.conf import settings
from PIL import Image

from assistants.vision.lookalikes import CYRILLIC_LOOKALIKES, CYRILLIC_TO_LATIN
from assistants.vision.ocr import Line, OcrResult

# Lines of text lower than this (pixels, as rapidocr boxes them) are scaled up first: tiny screen fonts.
# At 15-22 px fonts scaling up measured no better and twice as slow.
_MIN_LINE_PX = 16
# Sauvola's local thresholding: with the default global one (Otsu) grey text on a grey box came back
# empty, and some blurred screens too (measured on the Russian sample screens: 0.93 vs 0.58 mean accuracy).
_CONFIG = "-c thresholding_method=2"


class TesseractUnavailable(Exception):
    pass


_lock = threading.Lock()


def _use(command: str) -> None:
    # pytesseract keeps the program in a module global; every call sets it (under _lock) from the settings.
    pytesseract.pytesseract.tesseract_cmd = command


@cache
def _installed(command: str) -> tuple[str, frozenset[str]]:
    """(version, languages) of a working program; not cached when it fails, so installing it later is seen."""
    with _lock:
        _use(command)
        try:
            return str(pytesseract.get_tesseract_version()), frozenset(pytesseract.get_languages(config=""))
        except (pytesseract.TesseractNotFoundError, pytesseract.TesseractError, OSError) as exc:
            raise TesseractUnavailable(f"the tesseract program ({command}) cannot be run: {exc}") from None


def check(language: str) -> str:
    """The engine's version if it reads ``language`` (a Tesseract code: ``rus``), else ``TesseractUnavailable``."""
    version, installed = _installed(settings.VISION_TESSERACT_CMD)
    missing = [code for code in language.split("+") if code not in installed]
    if missing:
        raise TesseractUnavailable(
            f"Tesseract has no {'+'.join(missing)} language data (installed: {', '.join(sorted(installed)) or 'none'})"
        )
    return f"tesseract {version} ({language})"


def _prepare(image: Image.Image, text_height: int) -> tuple[Image.Image, float]:
    """Grey, scaled up when the screen's letters are small and down when it is huge.

    No contrast stretching: with Sauvola's thresholding it made blurred screens worse (0.87 vs 0.93).
    """
    grey = _light_text_darkened(image)
    scale = 1.0
    if 0 < text_height < _MIN_LINE_PX:
        scale = min(3.0, _MIN_LINE_PX / text_height)
    scale = min(scale, settings.VISION_OCR_MAX_SIDE / max(grey.size))
    if scale != 1.0:
        grey = grey.resize((round(grey.width * scale), round(grey.height * scale)), Image.Resampling.LANCZOS)
    return grey, scale


def _light_text_darkened(image: Image.Image) -> Image.Image:
    """The image in grey, with solid coloured blocks (buttons: white text on blue) inverted.

    Sauvola's thresholding drops light text on a dark block (the Russian OK and Войти on the sample
    screens' buttons); inverted, the block is light grey with dark text, as Tesseract reads best.
    Thin coloured strokes (a red title) are not blocks: the opening removes them first.
    """
    # heavy: loaded on first use (scipy takes a noticeable time to import)
    from scipy import ndimage

    grey = np.asarray(image.convert("L")).astype(np.int16)
    hsv = np.asarray(image.convert("HSV"))
    solid = ndimage.binary_opening((hsv[:, :, 1] > 90) & (grey < 170), structure=np.ones((7, 7)))
    labels, _ = ndimage.label(solid)
    for block in ndimage.find_objects(labels):
        if block is not None and block[0].stop - block[0].start >= 12 and block[1].stop - block[1].start >= 24:
            grey[block] = 255 - grey[block]
    return Image.fromarray(grey.astype(np.uint8))


def _children_cpu_ms() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (usage.ru_utime + usage.ru_stime) * 1000


# A word of a Russian screen that may be Latin misread by the Russian model: no letter that only Cyrillic has
# ("LOS" comes back as "1О5", "PON" as "РОН", "DSL" as "0$"), or read with little confidence.
_CYRILLIC_ONLY = re.compile(r"[\u0400-\u04ff]")
_DIGITS_AND_PUNCTUATION = re.compile(r"^[\d\W_]*$")
_LATIN_LETTER = re.compile(r"[A-Za-z]")
_UNSURE_WORD = 60.0
# A Latin re-reading replaces a word whose box overlaps its own at least this much (intersection over union).
_SAME_BOX = 0.5
_CROP_PAD = 8


def _cyrillic_only_letters(word: str) -> bool:
    return any(_CYRILLIC_ONLY.match(c) and c not in CYRILLIC_LOOKALIKES for c in word)


def _maybe_latin(word: str, confidence: float) -> bool:
    """A word the Russian model may have misread from Latin script (see ``_latin_rereading``)."""
    if _cyrillic_only_letters(word):
        return False
    return confidence < _UNSURE_WORD or not _DIGITS_AND_PUNCTUATION.match(word)


def _data(prepared: Image.Image, language: str) -> tuple[dict[str, list], float, float]:
    """pytesseract's words of ``prepared`` in ``language``, with the wall-clock and CPU milliseconds it took."""
    config = f"--psm {settings.VISION_TESSERACT_PSM} {_CONFIG}"
    with _lock:
        _use(settings.VISION_TESSERACT_CMD)
        started, cpu_started = time.perf_counter(), _children_cpu_ms()
        try:
            data = pytesseract.image_to_data(
                prepared, lang=language, config=config, output_type=pytesseract.Output.DICT
            )
        except (pytesseract.TesseractNotFoundError, pytesseract.TesseractError, OSError) as exc:
            raise TesseractUnavailable(f"tesseract failed: {exc}") from None
        cpu_ms = _children_cpu_ms() - cpu_started  # tesseract runs as a child process
    return data, (time.perf_counter() - started) * 1000, cpu_ms


def _box(data: dict[str, list], index: int) -> tuple[int, int, int, int]:
    left, top = int(data["left"][index]), int(data["top"][index])
    return left, top, left + int(data["width"][index]), top + int(data["height"][index])


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """Intersection over union of two boxes."""
    width = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _latin_rereading(prepared: Image.Image, data: dict[str, list], language: str) -> tuple[float, float]:
    """Words of a Russian screen that Latin script reads far more surely, replaced in ``data`` (in place).

    Russian screens name things in Latin letters ("LOS: горит красным", "Линия PON", "Wi-Fi"), which the
    Russian model reads as digits, symbols or Cyrillic look-alikes ("РОМ" for "PON"), and ``rus+eng``
    reads three times slower and no better. So only when a word may be Latin (``_maybe_latin``: words with
    a letter only Cyrillic has are never touched) does the Latin model (``VISION_TESSERACT_LATIN_LANGUAGE``)
    read the region of those words once; where it reads other glyphs in the same box (not merely the
    look-alikes of the Russian reading, whose script ``lookalikes`` settles), with Latin letters and a
    higher confidence than the Russian model's, its reading replaces the word.
    Returns the wall-clock and CPU milliseconds it took (0 when nothing needed it).
    """
    latin = settings.VISION_TESSERACT_LATIN_LANGUAGE
    if not latin or latin in language.split("+"):
        return 0.0, 0.0
    candidates = [
        i
        for i, word in enumerate(data["text"])
        if str(word).strip() and float(data["conf"][i]) >= 0 and _maybe_latin(str(word), float(data["conf"][i]))
    ]
    if not candidates:
        return 0.0, 0.0
    check(latin)
    boxes = [_box(data, i) for i in candidates]
    crop = (
        max(0, min(b[0] for b in boxes) - _CROP_PAD),
        max(0, min(b[1] for b in boxes) - _CROP_PAD),
        min(prepared.width, max(b[2] for b in boxes) + _CROP_PAD),
        min(prepared.height, max(b[3] for b in boxes) + _CROP_PAD),
    )
    other, elapsed, cpu_ms = _data(prepared.crop(crop), latin)
    read = [
        (j, (b[0] + crop[0], b[1] + crop[1], b[2] + crop[0], b[3] + crop[1]))
        for j, word in enumerate(other["text"])
        if str(word).strip() and (b := _box(other, j))
    ]
    for index, box in zip(candidates, boxes, strict=True):
        for j, other_box in read:
            if _overlap(box, other_box) < _SAME_BOX:
                continue
            word, confidence = str(other["text"][j]).strip(), float(other["conf"][j])
            same_glyphs = word == str(data["text"][index]).translate(CYRILLIC_TO_LATIN)
            if _LATIN_LETTER.search(word) and not same_glyphs and confidence > float(data["conf"][index]):
                data["text"][index], data["conf"][index] = word, confidence
            break
    return elapsed, cpu_ms


def read_text(image: Image.Image, *, language: str, text_height: int = 0) -> OcrResult:
    """The text lines of ``image`` (RGB) read by Tesseract in ``language`` (``rus``, ``eng``, ``rus+eng``).

    ``text_height``: the typical height of a text line in pixels when known (from rapidocr's boxes);
    small text is scaled up before reading. Words are grouped into Tesseract's lines; a line's
    confidence is the mean of its words' (0..1). Words the language's model may have misread from Latin
    script are read again by the Latin model (``_latin_rereading``).
    """
    check(language)
    prepared, scale = _prepare(image, text_height)
    data, elapsed, cpu_ms = _data(prepared, language)
    latin_ms, latin_cpu_ms = _latin_rereading(prepared, data, language)
    grouped: dict[tuple[int, int, int], list[int]] = {}
    for index, word in enumerate(data["text"]):
        if str(word).strip() and float(data["conf"][index]) >= 0:
            key = (data["block_num"][index], data["par_num"][index], data["line_num"][index])
            grouped.setdefault(key, []).append(index)
    lines = []
    for indexes in grouped.values():
        confidence = float(np.mean([float(data["conf"][i]) for i in indexes])) / 100
        if confidence < settings.VISION_OCR_MIN_CONFIDENCE:
            continue
        x0 = min(data["left"][i] for i in indexes) / scale
        y0 = min(data["top"][i] for i in indexes) / scale
        x1 = max(data["left"][i] + data["width"][i] for i in indexes) / scale
        y1 = max(data["top"][i] + data["height"][i] for i in indexes) / scale
        text = " ".join(str(data["text"][i]).strip() for i in indexes)
        lines.append(Line(text=text, confidence=confidence, box=[int(x0), int(y0), int(x1), int(y1)]))
    lines.sort(key=lambda line: (round(line.box[1] / 12), line.box[0]))
    return OcrResult(
        lines=lines,
        elapsed_ms=elapsed + latin_ms,
        scale=scale,
        timings_ms={"cpu": round(cpu_ms + latin_cpu_ms, 1), "latin": round(latin_ms, 1)},
        engine="tesseract",
        detected=len(lines),
        box_heights=[line.box[3] - line.box[1] for line in lines],
    )
