"""The translation catalogues in tests: every ``.po`` file of the repository read with babel, the English phrases
a Russian page must not show (of one app's catalogue or of them all), and a Russian reader.

A page "leaks" when it shows a literal stretch of three words or more of one of the catalogue's msgids (the
text between placeholders and tags): a string that bypassed translation, or one the catalogue misses.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent
SKIPPED_DIRS = {".venv", "node_modules", "var", ".git"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|%[sd]|\{\w*\}|<[^>]+>|\n")
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
TEXTAREA = re.compile(r"<textarea\b([^>]*)>.*?</textarea>", re.S | re.I)
RUSSIAN_WORD = re.compile(r"[А-Яа-яЁё][А-Яа-яЁё-]*")


def po_files() -> list[Path]:
    """Every catalogue of the repository (``locale/*/LC_MESSAGES/*.po`` of the project and of each app)."""
    return sorted(
        path
        for path in ROOT.glob("**/locale/*/LC_MESSAGES/*.po")
        if not SKIPPED_DIRS & set(path.relative_to(ROOT).parts)
    )


def po_path(app: str) -> Path:
    return ROOT / app / "locale" / "ru" / "LC_MESSAGES" / "django.po"


def read_catalogue(path: Path) -> Catalog:
    """The catalogue at ``path`` as babel reads it: its language and plural forms from the header, each
    message's id (a tuple with the plural msgid), its strings (one per plural form) and its fuzzy flag."""
    with path.open("rb") as handle:
        return read_po(handle)


def catalogue(app: str) -> Catalog:
    return read_catalogue(po_path(app))


def messages(catalog: Catalog) -> list[Any]:
    """The catalogue's entries, without the header."""
    return [message for message in catalog if message.id]


def translated(message: Any) -> bool:
    """Every form of the message has a translation."""
    return all(str(text).strip() for text in _all(message.string))


def _stretches(texts: Any, word: re.Pattern[str]) -> set[str]:
    found = set()
    for text in texts:
        for part in PLACEHOLDER.split(str(text)):
            stretch = " ".join(part.split()).strip(' .,:;·—–-()"“”«»?!')
            if len(word.findall(stretch)) >= 3:
                found.add(stretch)
    return found


def _all(value: Any) -> tuple[Any, ...]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


@cache
def english_phrases(app: str) -> frozenset[str]:
    """The literal stretches of three words or more of every msgid (and plural msgid) of the app's catalogue."""
    return frozenset(_stretches((i for m in catalogue(app) if m.id for i in _all(m.id)), WORD))


@cache
def english_phrases_everywhere() -> frozenset[str]:
    """The literal stretches of three words or more of every msgid of every catalogue in the repository."""
    return frozenset(
        _stretches((i for path in po_files() for m in read_catalogue(path) if m.id for i in _all(m.id)), WORD)
    )


@cache
def russian_phrases(app: str) -> frozenset[str]:
    """The literal stretches of three Russian words or more of the app's translations."""
    return frozenset(_stretches((t for m in catalogue(app) if m.id for t in _all(m.string)), RUSSIAN_WORD))


def visible_text(page: str) -> str:
    """``page``'s HTML with entities decoded and whitespace folded, without what the team wrote into editable
    fields (a textarea's content is data: request-type examples, a run's stored settings), which is never
    translated."""
    return " ".join(html.unescape(TEXTAREA.sub("<textarea></textarea>", page)).split())


def leaks(page: str, app: str) -> list[str]:
    """The app's English phrases that ``page`` shows."""
    flat = visible_text(page)
    return sorted(phrase for phrase in english_phrases(app) if phrase in flat)


def russian_in(page: str, app: str) -> list[str]:
    """The app's Russian phrases that ``page`` shows: none on a page for an English reader."""
    flat = visible_text(page)
    return sorted(phrase for phrase in russian_phrases(app) if phrase in flat)


@contextmanager
def reading_russian(*users: Any) -> Iterator[None]:
    """Russian pages for ``users``: the translation is active for the test's requests, and where users
    record the language they read (``User.language``), theirs is Russian for the time being."""
    chosen = [user for user in users if hasattr(user, "language")]
    before = [user.language for user in chosen]
    for user in chosen:
        user.language = "ru"
        user.save(update_fields=["language"])
    try:
        with translation.override("ru"):
            yield
    finally:
        for user, language in zip(chosen, before, strict=True):
            user.language = language
            user.save(update_fields=["language"])
