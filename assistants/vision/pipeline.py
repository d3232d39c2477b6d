"""One image in, everything we read from it out: validate → thumbnail → OCR → classify.

The text side classifies the OCR text with the assistants' example classifier (nearest
labelled examples by embedding); the image side is CLIP zero-shot when a checkpoint is
configured; with both, their probabilities are mixed (``VISION_TEXT_WEIGHT`` for the
text). An image with neither text nor CLIP gets the fallback label with confidence 0.
Pure of the database: the Celery task, the API and the benchmark all call ``analyse``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings

from assistants.engine import CLASSIFIER_TEMPERATURE, Embed, classify
from assistants.vision import clip, ocr, reading, roles
from assistants.vision.imaging import LoadedImage, load_image, thumbnail
from helpdesk.ai import embedder

QUERY_CHARS = 500
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
# The multilingual model classifies screens written mostly in Cyrillic: MiniLM's tokenizer is English-only.
MULTILINGUAL_MODEL = "e5"


def multilingual_embed(texts: Sequence[str]) -> np.ndarray:
    """One function object (the classifier caches example vectors by it) for the multilingual model."""
    return embedder(MULTILINGUAL_MODEL).embed(list(texts))


def embed_for(texts: Sequence[str]) -> Embed | None:
    """The multilingual model for mostly Cyrillic text; None (the tenant's model) otherwise."""
    letters = sum(len(_LETTERS.findall(text)) for text in texts)
    cyrillic = sum(len(_CYRILLIC.findall(text)) for text in texts)
    return multilingual_embed if letters and cyrillic * 2 >= letters else None


@dataclass(frozen=True)
class LabelSpec:
    name: str
    title: str
    description: str
    examples: list[str]
    is_fallback: bool = False


@dataclass
class ImageAnalysis:
    width: int
    height: int
    format: str
    frames: int
    thumbnail: bytes
    lines: list[ocr.Line]
    error_codes: list[str]
    error_messages: list[str]
    category: str
    confidence: float
    source: str  # "ocr", "clip", "both" or "none"
    scores: dict[str, float]
    text_scores: dict[str, float] = field(default_factory=dict)
    clip_scores: dict[str, float] = field(default_factory=dict)
    clip_error: str = ""
    timings_ms: dict[str, float] = field(default_factory=dict)
    ocr_engine: str = ""  # the engine whose reading was kept ("rapidocr", "tesseract")

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @property
    def low_confidence(self) -> bool:
        return self.confidence < settings.VISION_LOW_CONFIDENCE


def readable_lines(lines: Sequence[ocr.Line]) -> list[ocr.Line]:
    """The lines worth classifying: confident enough and with some letters in them."""
    return [
        line
        for line in lines
        if line.confidence >= settings.VISION_CLASSIFY_MIN_CONFIDENCE and len(_LETTERS.findall(line.text)) >= 2
    ]


def _softmax(scores: dict[str, float]) -> dict[str, float]:
    names = list(scores)
    logits = np.array([scores[n] for n in names]) / CLASSIFIER_TEMPERATURE
    probabilities = np.exp(logits - logits.max())
    probabilities /= probabilities.sum()
    return {name: float(p) for name, p in zip(names, probabilities, strict=True)}


def classify_text(text: str, labels: Sequence[LabelSpec], *, embed: Embed | None = None) -> dict[str, float]:
    """Probability per label of ``text`` (each label's description counts as one of its examples)."""
    examples = {label.name: [label.description, *label.examples] for label in labels}
    result = classify(text, examples, embed=embed, default="")
    return _softmax(result.scores) if result.scores else {}


# Weights of the texts that speak beside single lines: the screen without its chrome, its error and
# status lines together, and the ticket's own words.
SCREEN_WEIGHT = 2.0
FOCUS_WEIGHT = 3.0
CONTEXT_WEIGHT = 3.0


def classify_lines(
    lines: Sequence[roles.RoledLine],
    labels: Sequence[LabelSpec],
    *,
    context: str = "",
    embed: Embed | None = None,
) -> dict[str, float]:
    """Probability per label of a screen read as ``lines``, each line counting by its role.

    Every line is compared with the labels' examples on its own and weighted by ``roles.WEIGHTS`` (an
    error message far above "My Account"); so are the screen without its chrome, its error and status
    lines together, and ``context`` (the ticket's own words, when there are any). The weighted mean
    of the similarities goes through the classifier's softmax.
    """
    examples = {label.name: [label.description, *label.examples] for label in labels}
    units = [(line.text, line.weight) for line in lines]
    screen = [line.text for line in lines if line.role != roles.CHROME]
    if len(screen) > 1:
        units.append((" \n".join(screen)[:QUERY_CHARS], SCREEN_WEIGHT))
    focus = roles.focus_lines(lines)
    if focus:
        units.append((" \n".join(focus)[:QUERY_CHARS], FOCUS_WEIGHT))
    if context.strip():
        units.append((context.strip()[:QUERY_CHARS], CONTEXT_WEIGHT))
    totals: dict[str, float] = {}
    weights = 0.0
    for text, weight in units:
        scores = classify(text, examples, embed=embed, default="").scores
        if not scores:
            continue
        weights += weight
        for name, score in scores.items():
            totals[name] = totals.get(name, 0.0) + weight * score
    return _softmax({name: total / weights for name, total in totals.items()}) if weights else {}


def combine(text_scores: dict[str, float], clip_scores: dict[str, float], text_weight: float) -> dict[str, float]:
    names = list(dict.fromkeys([*text_scores, *clip_scores]))
    return {n: text_weight * text_scores.get(n, 0.0) + (1 - text_weight) * clip_scores.get(n, 0.0) for n in names}


def decide(
    labels: Sequence[LabelSpec], text_scores: dict[str, float], clip_scores: dict[str, float]
) -> tuple[str, float, str, dict[str, float]]:
    """(category, confidence, source, scores) from whatever sides have an opinion."""
    if text_scores and clip_scores:
        scores, source = combine(text_scores, clip_scores, settings.VISION_TEXT_WEIGHT), "both"
    elif text_scores:
        scores, source = text_scores, "ocr"
    elif clip_scores:
        scores, source = clip_scores, "clip"
    else:
        fallback = next((label.name for label in labels if label.is_fallback), "")
        return fallback, 0.0, "none", {}
    best = max(scores, key=lambda name: scores[name])
    return best, scores[best], source, {n: round(s, 4) for n, s in scores.items()}


def analyse(
    data: bytes,
    labels: Sequence[LabelSpec],
    *,
    embed: Embed | None = None,
    use_clip: bool | None = None,
    languages: Sequence[str] = (),
    context: str = "",
) -> ImageAnalysis:
    """Read and classify one image; ``ImageRejected`` when it is not a readable image.

    ``languages``: what the screen is expected to be written in (``ru`` has Tesseract read it first).
    ``context``: the ticket's own words, classified with the screen's lines (see ``classify_lines``).
    """
    timings: dict[str, float] = {}
    started = time.perf_counter()
    loaded: LoadedImage = load_image(data)
    thumb = thumbnail(loaded.image)
    timings["load_ms"] = round((time.perf_counter() - started) * 1000, 1)
    read = reading.read_text(loaded.image, languages=languages)
    timings["ocr_ms"] = round(read.elapsed_ms, 1)
    timings.update({f"ocr_{stage}_ms": ms for stage, ms in read.timings_ms.items()})
    readable = readable_lines(read.lines)
    codes, messages = ocr.pick_errors([line.text for line in read.lines])
    text_scores: dict[str, float] = {}
    letters = sum(len(_LETTERS.findall(line.text)) for line in readable)
    if labels and letters >= settings.VISION_MIN_TEXT_LETTERS:
        t = time.perf_counter()
        roled = roles.assign([line.text for line in readable], [line.box for line in readable])
        chosen = embed or embed_for([line.text for line in readable])
        text_scores = classify_lines(roled, labels, context=context, embed=chosen)
        timings["text_classifier_ms"] = round((time.perf_counter() - t) * 1000, 1)
    clip_scores: dict[str, float] = {}
    clip_error = ""
    if labels and (use_clip if use_clip is not None else clip.configured()):
        try:
            result = clip.classify(loaded.image, {label.name: label.description for label in labels})
        except clip.ClipUnavailable as exc:
            clip_error = str(exc)
        else:
            clip_scores = result.scores
            timings["clip_ms"] = round(result.elapsed_ms, 1)
    category, confidence, source, scores = decide(labels, text_scores, clip_scores)
    timings["total_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return ImageAnalysis(
        width=loaded.width,
        height=loaded.height,
        format=loaded.format,
        frames=loaded.frames,
        thumbnail=thumb,
        lines=read.lines,
        error_codes=codes,
        error_messages=messages,
        category=category,
        confidence=confidence,
        source=source,
        scores=scores,
        text_scores={n: round(s, 4) for n, s in text_scores.items()},
        clip_scores={n: round(s, 4) for n, s in clip_scores.items()},
        clip_error=clip_error,
        timings_ms=timings,
        ocr_engine=read.engine,
    )
