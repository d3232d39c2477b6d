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
