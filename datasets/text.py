"""Normalising texts and labels, and the hash that identifies a row's text across runs and versions."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_CONTROL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200b-\u200d\ufeff]")
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """NFKC, control and zero-width characters removed, runs of whitespace (newlines too) as one space."""
    text = unicodedata.normalize("NFKC", text)
    return _SPACE.sub(" ", _CONTROL.sub(" ", text)).strip()


def text_hash(text: str) -> str:
    """Two texts that differ only in case or spacing have the same hash (they are duplicates)."""
    return hashlib.sha256(normalise(text).casefold().encode()).hexdigest()


def normalise_label(label: str) -> str:
    return normalise(label)[:100]


_LETTERS = re.compile(r"[^\W\d_]{2,}")
_MONTHS = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?|\b(mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?"
    r"|\b(янв|фев|мар|апр|ма[йя]|июн|июл|авг|сен|окт|ноя|дек)[а-я]*\.?|\b(am|pm|utc|gmt|t|z)\b",
    re.IGNORECASE,
)


def text_like(values: list[str], *, share: float = 0.6) -> bool:
    """Whether most non-empty ``values`` read as words: a date, a number or a code is not text."""
    filled = [v for v in values if v and v.strip()]
    if not filled:
        return False
    worded = sum(bool(_LETTERS.search(_MONTHS.sub(" ", value))) for value in filled)
    return worded >= share * len(filled)
