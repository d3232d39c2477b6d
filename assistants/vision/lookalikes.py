"""Letters that look alike in Latin and Cyrillic, put back into the script of the word they stand in.

OCR models read glyphs, not scripts: Tesseract's Russian model reads the ``x`` of ``0x80070005`` as
Cyrillic ``х``, and a Latin model reads a Russian ``о`` as Latin ``o``. The text then looks right to
a person but breaks search, error-code matching and the classifier. Each run of letters and digits is
fixed on its own:

- a code (digits or Latin letters, and otherwise only Cyrillic look-alikes: ``0х80070005``,
  ``ЕRR_42``, ``АВ-1234``), or a look-alike word in a casing Russian never uses (``РРРоЕ``),
  gets Latin letters;
- a Russian word with stray Latin look-alikes (``oшибка``) gets Cyrillic ones;
- a word written in one script only is never touched (``Error``, ``сор``, ``cop``), nor is one that
  mixes letters without look-alikes in both scripts (it is not ours to guess).
"""

from __future__ import annotations

import re

CYRILLIC_TO_LATIN = str.maketrans("АВЕКМНОРСТХУаеорсху", "ABEKMHOPCTXYaeopcxy")
LATIN_TO_CYRILLIC = str.maketrans("ABEKMHOPCTXYaeopcxy", "АВЕКМНОРСТХУаеорсху")
CYRILLIC_LOOKALIKES = frozenset("АВЕКМНОРСТХУаеорсху")
_LATIN_LOOKALIKES = frozenset("ABEKMHOPCTXYaeopcxy")

# A run of letters, digits and the joiners codes use (ERR_CONNECTION, PAY-5003, 0x8007).
_TOKEN = re.compile(r"[^\W_]+(?:[-_][^\W_]+)*")
_HEX_CODE = re.compile(r"^0[xX][0-9A-Fa-f]+$")
_CAMEL_CASE = re.compile(r"[^\W\d_]*[a-zа-яё][A-ZА-ЯЁ]")


def _is_cyrillic(char: str) -> bool:
    return "\u0400" <= char <= "\u04ff"


def _is_latin(char: str) -> bool:
    return char.isascii() and char.isalpha()


def _script(token: str) -> tuple[list[str], list[str]]:
    return [c for c in token if _is_cyrillic(c)], [c for c in token if _is_latin(c)]


def fix_token(token: str, *, prefer_cyrillic: bool = False) -> str:
    """One word or code with its look-alike letters in the script the rest of it is written in.

    ``prefer_cyrillic`` settles a word made of look-alikes only in both scripts with as many of each
    (the script of the text around it).
    """
    cyrillic, latin = _script(token)
    if not cyrillic or (not latin and all(c not in CYRILLIC_LOOKALIKES for c in cyrillic)):
        return token
    digits = sum(c.isdigit() for c in token)
    cyrillic_lookalikes_only = all(c in CYRILLIC_LOOKALIKES for c in cyrillic)
    latin_lookalikes_only = all(c in _LATIN_LOOKALIKES for c in latin)
    if cyrillic_lookalikes_only and latin_lookalikes_only and latin and not digits:
        # Only look-alikes on both sides ("сoрa"): the majority decides, then the text around it.
        to_cyrillic = len(cyrillic) > len(latin) or (len(cyrillic) == len(latin) and prefer_cyrillic)
        return token.translate(LATIN_TO_CYRILLIC if to_cyrillic else CYRILLIC_TO_LATIN)
    if cyrillic_lookalikes_only:
        as_latin = token.translate(CYRILLIC_TO_LATIN)
        if latin or _HEX_CODE.match(as_latin):
            return as_latin  # a Latin word or a code with Cyrillic look-alikes in it: "Еrror", "0х8007"
        if digits and (digits > len(cyrillic) or all(c.isupper() for c in cyrillic)):
            return as_latin  # a code: "х64", an order number "АВ-1234"
        if _CAMEL_CASE.search(token):
            return as_latin  # a capital after a small letter is no Russian spelling: "РРРоЕ" is "PPPoE"
        return token
    if latin and not digits and latin_lookalikes_only:
        return token.translate(LATIN_TO_CYRILLIC)  # a Russian word with stray Latin letters: "oшибка"
    return token


def fix_lookalikes(text: str) -> str:
    """``text`` with every word's and code's look-alike letters in that word's own script."""
    cyrillic, latin = _script(text)
    distinctly_cyrillic = sum(c not in CYRILLIC_LOOKALIKES for c in cyrillic)
    distinctly_latin = sum(c not in _LATIN_LOOKALIKES for c in latin)
    prefer_cyrillic = distinctly_cyrillic > distinctly_latin
    return _TOKEN.sub(lambda match: fix_token(match.group(0), prefer_cyrillic=prefer_cyrillic), text)
