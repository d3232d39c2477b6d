# ruff: noqa: SIM905 - the stop-word list reads best as text
"""Plain sentences from knowledge text and model output: markdown removed, broken lines joined.

Everything that quotes, verifies or ranks text works on these sentences, so a
draft never carries ``**``, ``#`` headings, list bullets or a line break in the
middle of a sentence.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import cache, lru_cache
from typing import Any

import pysbd
import snowballstemmer

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^\s*(=+|-+)\s*$")
_BULLET = re.compile(r"^\s*(?:[-*+•·▪‣]|\d{1,2}[.)])\s+")
_QUOTE = re.compile(r"^\s*>\s?")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+|mailto:[^)\s]+)\)")
_LINK_OTHER = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1|(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])|`([^`]+)`")
_CITATION = re.compile(r"\s*\[(\d{1,2})\]")
_TAG = re.compile(r"</?\s*[a-zA-Z][\w-]*\s*/?>")
_SPACES = re.compile(r"[ \t\u00a0]+")
_TERMINAL = re.compile(r"[.!?…:;]['\")\]]*$")
_WORD = re.compile(r"\w+", re.UNICODE)

# pysbd knows these; any other language is split with the English rules (which only look at punctuation).
_PYSBD_LANGUAGES = {
    "en", "de", "fr", "es", "it", "nl", "da", "pl", "ru", "bg", "el", "sk", "kk", "hy", "ar", "fa", "ur", "hi",
    "mr", "zh", "ja", "am", "my",
}  # fmt: skip
_STEMMERS = {
    "en": "english", "de": "german", "fr": "french", "es": "spanish", "it": "italian", "nl": "dutch",
    "pt": "portuguese", "ru": "russian", "sv": "swedish", "da": "danish", "no": "norwegian", "fi": "finnish",
    "pl": "polish", "tr": "turkish", "hu": "hungarian", "ro": "romanian", "el": "greek", "cs": "czech",
}  # fmt: skip
# Words that occur everywhere and say nothing about what a sentence claims (English, plus the commonest of a few
# other languages; a missing word here only makes verification a little stricter).
STOPWORDS = frozenset(
    """a an and are as at be been being but by can could did do does doing done for from had has have having he
    her here hers him his how i if in into is it its itself just me more most my no nor not of off on once only
    or other our ours out over own same she should so some such than that the their theirs them then there these
    they this those through to too under until up very was we were what when where which while who whom why will
    with would you your yours yourself also any all each both few may might must shall via per please let lets
    get got us am don doesn didn isn aren wasn weren won wouldn couldn shouldn cannot t s ll re ve d m hi hello
    der die das und ist nicht ein eine zu mit von für auf im den dem des sie es wir ich du le la les et est un une
    des du en pour pas que qui el los las y es un una del por para con не и в на что это как""".split()
)
_stem_lock = threading.Lock()


@cache
def _segmenter(language: str) -> Any:
    return pysbd.Segmenter(language=language if language in _PYSBD_LANGUAGES else "en", clean=False)


@cache
def _stemmer(language: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(_STEMMERS.get(language, "english"))


def strip_citations(text: str) -> str:
    return _CITATION.sub("", text)


def _inline(text: str, keep_tags: bool = False) -> str:
    text = _IMAGE.sub("", text)
    text = _LINK.sub(lambda m: f"{m.group(1)} ({m.group(2).removeprefix('mailto:')})", text)
    text = _LINK_OTHER.sub(r"\1", text)
    text = _EMPHASIS.sub(lambda m: m.group(2) or m.group(3) or m.group(4) or "", text)
    if not keep_tags:
        text = _TAG.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def blocks(text: str, *, keep_tags: bool = False) -> list[tuple[str, bool]]:
    """(plain text, is_heading) blocks of a markdown-ish text: paragraphs joined, list items and headings apart."""
    out: list[tuple[str, bool]] = []
    paragraph: list[str] = []

    def clean(part: str) -> str:
        return _inline(part, keep_tags)

    def flush() -> None:
        if paragraph:
            joined = clean(" ".join(paragraph))
            if joined:
                out.append((joined, False))
            paragraph.clear()

    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line or (_SETEXT.match(line) and not paragraph) or _TABLE_RULE.match(line):
            flush()
            continue
        heading = _HEADING.match(line)
        if heading:
            flush()
            if heading.group(1).strip():
                out.append((clean(heading.group(1)), True))
            continue
        if _SETEXT.match(line) and paragraph:  # the paragraph above was a heading
            out.append((clean(" ".join(paragraph)), True))
            paragraph.clear()
            continue
        line = _QUOTE.sub("", line)
        if line.startswith("|") and line.endswith("|"):
            flush()
            cells = [c.strip() for c in line.strip("|").split("|") if c.strip()]
            out.append((clean("; ".join(cells)), False))
            continue
        if _BULLET.match(line):
            flush()
            paragraph.append(_BULLET.sub("", line))
            flush()
            continue
        paragraph.append(line)
    flush()
    return out


def split(text: str, language: str = "en") -> list[str]:
    """The sentences of one plain paragraph, stripped."""
    text = _SPACES.sub(" ", text.replace("\n", " ")).strip()
    if not text:
        return []
    return [s.strip() for s in _segmenter(language).segment(text) if s.strip()]


def sentences(text: str, language: str = "en", *, headings: bool = False, keep_tags: bool = False) -> list[str]:
    """Every sentence of a markdown-ish text, as plain text; headings only when asked for."""
    out: list[str] = []
    for block, is_heading in blocks(text, keep_tags=keep_tags):
        if is_heading:
            if headings:
                out.append(block)
            continue
        out += split(block, language)
    return out


def is_complete(sentence: str) -> bool:
    return bool(_TERMINAL.search(sentence.strip()))


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


@lru_cache(maxsize=50_000)
def _stem(word: str, language: str) -> str:
    with _stem_lock:  # snowballstemmer objects keep state between calls
        return str(_stemmer(language).stemWord(word))


def stems(words_: Iterable[str], language: str = "en") -> list[str]:
    return [_stem(w, language) for w in words_]


def content_stems(text: str, language: str = "en") -> set[str]:
    """Stems of the words that carry meaning (no stop words, no single letters)."""
    return set(stems((w for w in words(text) if w not in STOPWORDS and len(w) > 1), language))
