"""Which language's rules to read a text with, from its script.

An assistant answers in its own language, but its knowledge base, a customer's
question or a model's sentence may be written in another: a Russian sentence read
with English rules has no stems and no negation. The script decides (Cyrillic or
Latin letters); when it does not say more than the assistant's language, that wins.
"""

from __future__ import annotations

import re

_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
# Languages written in Cyrillic whose rules we have; a Cyrillic text read for a Latin-script assistant is Russian.
CYRILLIC_LANGUAGES = frozenset({"ru", "uk", "bg", "kk", "sr", "mk", "be"})
CYRILLIC_AT = 0.5  # share of Cyrillic letters from which a text is read as Cyrillic
LATIN_BELOW = 0.2  # a text for a Cyrillic-script assistant with fewer Cyrillic letters is read as English


def base(language: str) -> str:
    """'ru-RU' → 'ru'; empty → 'en'."""
    return (language or "en").split("-")[0].lower()


def cyrillic_share(text: str) -> float:
    """Share of the letters of ``text`` that are Cyrillic (0.0 without letters)."""
    letters = _LETTER.findall(text)
    if not letters:
        return 0.0
    return sum(1 for c in letters if _CYRILLIC.match(c)) / len(letters)


def text_language(text: str, default: str) -> str:
    """The language whose rules (stems, negation, question kinds) fit ``text``, ``default`` if its script fits."""
    default = base(default)
    if not _LETTER.search(text):
        return default
    share = cyrillic_share(text)
    if share >= CYRILLIC_AT and default not in CYRILLIC_LANGUAGES:
        return "ru"
    if share < LATIN_BELOW and default in CYRILLIC_LANGUAGES:
        return "en"
    return default
