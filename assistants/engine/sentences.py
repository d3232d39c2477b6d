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
# Russian abbreviations that never end a sentence (an address, "т.е.") and those that may ("500 руб.", "и т.д."):
# the latter end one only when the next part starts with a capital letter.
_RU_ABBREVIATION_INSIDE = re.compile(
    r"(?<![\w.])(?:т|т\.\s?е|т\.\s?к|т\.\s?н|напр|ул|пр-т|просп|пер|наб|пл|д|корп|стр|кв|им|см|тел|доб|проф|акад|"
    r"ст|гл|п|пп|рис|табл|ок|прим|ср)\.$",
    re.I,
)
_RU_ABBREVIATION_END = re.compile(
    r"(?<![\w.])(?:т\.\s?д|т\.\s?п|др|г|гг|руб|коп|мин|сек|млн|млрд|тыс|шт|мес|р)\.$", re.I
)
# pysbd never ends a sentence after these; a capital letter after them starts a new one ("7 200 руб. Это всё.").
_RU_ENDS_BEFORE_CAPITAL = re.compile(r"(?<![\w.])(?:т\.\s?д|т\.\s?п|руб|коп|тыс|млн|млрд|мин|сек)\.\s+(?=[А-ЯЁA-Z])")
_CONTINUES = re.compile(r"^[a-zа-яё0-9(«\"„–—-]", re.UNICODE)

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
    # Russian function words and the words of asking ("какой", "сколько"), as the English list has "what", "how".
    + """а но или либо по к ко во с со у о об обо ото изо от до из за для при про через над под же ли бы вы вас
    вам ваш ваша ваше ваши вашего вашей мы нас нам наш наша наше наши нашего нашей я мне меня мой моя моё мое мои
    моего моей
    он она оно они их его ее её ему ей им то так там тут где куда откуда когда какой какая какое какие каким
    какую какому каком какого каков какова сколько сколькими почему зачем как
    если чтобы что чем уже еще ещё только также тоже все всё весь
    вся всех этот эта эти этого этой этом эту том тот та те был была было были быть есть будет будут который
    которая которое которые которых свой своя свои своего себя очень просто пожалуйста здравствуйте спасибо
    добрый можно могу может ли вот""".split()
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


def _rejoin_abbreviations(text: str, parts: list[str]) -> list[str]:
    """Russian abbreviations pysbd ends a sentence at ("т.е.", "ул.", "500 руб. в месяц"): joined back, verbatim."""
    spans: list[list[int]] = []
    cursor = 0
    for part in parts:
        start = text.find(part, cursor)
        if start < 0:  # pysbd changed the text: leave its split alone
            return parts
        end = start + len(part)
        if spans:
            previous = text[spans[-1][0] : spans[-1][1]]
            inside = _RU_ABBREVIATION_INSIDE.search(previous)
            if inside or (_RU_ABBREVIATION_END.search(previous) and _CONTINUES.match(part)):
                spans[-1][1] = end
                cursor = end
                continue
        spans.append([start, end])
        cursor = end
    out = []
    for a, b in spans:
        out += [p.strip() for p in _RU_ENDS_BEFORE_CAPITAL.sub(lambda m: m.group(0) + "\n", text[a:b]).split("\n")]
    return [p for p in out if p]


def split(text: str, language: str = "en") -> list[str]:
    """The sentences of one plain paragraph, stripped."""
    text = _SPACES.sub(" ", text.replace("\n", " ")).strip()
    if not text:
        return []
    parts = [s.strip() for s in _segmenter(language).segment(text) if s.strip()]
    return _rejoin_abbreviations(text, parts) if language == "ru" else parts


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
