# ruff: noqa: SIM905 - word lists read best as text
"""The checkable facts of a sentence: numbers, amounts, times, dates, phone numbers, e-mail addresses, URLs,
account handles (@name), names.

A generated sentence may only state facts that occur in its source (or in the
question); ``facts`` finds them in a normalised form so that "8 am" matches
"8:00", "6,50" matches "6.50", "7 200" matches "7200", "two" matches "2",
"25 декабря" is December and "8-800-…" is "+7 800 …". Units ("ГБ", "Мбит/с",
"руб." / "₽") are facts too, so "30 МБ" cannot pass for "30 ГБ". ``has_negation``
tells whether a sentence says "not/never/no", in the languages we answer in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_HANDLE = re.compile(r"(?<![\w.+-])@[^\W\d]\w{2,}", re.UNICODE)  # a messenger or social account: @acme_help
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>()\"']+|\b(?:[a-z0-9][a-z0-9-]+\.)+[a-z]{2,}(?:/[\w\-./?=&%#~]*)?", re.I)
_PHONE = re.compile(r"(?<![\w.,])(?:\+|00)?\(?\d[\d ()./\-–]{5,}\d(?![\w.,]\d)")
_TIME = re.compile(
    r"\b(?P<h>\d{1,2})(?:[:.](?P<m>[0-5]\d))?\s*(?P<ap>[ap]\.?\s?m\.?)(?![\w])|\b(?P<h2>[01]?\d|2[0-4])[:h](?P<m2>[0-5]\d)\b",
    re.I,
)
_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*(?![\d])")
# Thousands grouped by a space (Russian, French, SI style): "7 200", "1 234,50", "1 500 000". A narrow or
# non-breaking space counts too; a leading zero or a group of other than three digits makes it no number.
_GROUP_SPACE = "[ \u00a0\u202f\u2009]"
_SPACED_NUMBER = re.compile(
    rf"(?<![\w.,+])[1-9]\d{{0,2}}(?:{_GROUP_SPACE}\d{{3}})+(?:,\d+)?(?![\d]|[.,]\d|{_GROUP_SPACE}\d)"
)
# Units written after a number; the value is what they mean, so "руб." and "₽", "мин" and "минут" agree.
_UNITS = {
    "руб": "rub", "рубль": "rub", "рубля": "rub", "рублей": "rub", "р": "rub", "₽": "rub", "коп": "kop",
    "копейка": "kop", "копейки": "kop", "копеек": "kop", "кбит/с": "kbit/s", "мбит/с": "mbit/s",
    "гбит/с": "gbit/s", "кбит/сек": "kbit/s", "мбит/сек": "mbit/s", "гбит/сек": "gbit/s", "кб": "kb", "мб": "mb",
    "гб": "gb", "тб": "tb", "мин": "min", "минута": "min", "минуты": "min", "минут": "min", "сек": "s",
    "секунд": "s", "секунды": "s", "час": "h", "часа": "h", "часов": "h", "ч": "h", "смс": "sms", "sms": "sms",
    "день": "day", "дня": "day", "дней": "day", "неделя": "week", "недели": "week", "недель": "week",
    "месяц": "month", "месяца": "month", "месяцев": "month", "год": "year", "года": "year", "лет": "year",
}  # fmt: skip
_UNIT = re.compile(
    r"(?<=\d)\s?(" + "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True)) + r")(?=$|[^\w/])",
    re.I | re.UNICODE,
)
_CODE = re.compile(r"\b(?=\w*\d)(?=\w*[^\W\d_])\w+\b", re.UNICODE)  # letters and digits in one token: 2FA, iOS15
_CAPITALISED = re.compile(r"(?<![\w'’-])([A-ZÄÖÜÀ-ÞА-ЯЁ][\w'’&.-]*\w|[A-Z]{2,})", re.UNICODE)
_CLAUSE_START = re.compile(r"(^|[:;!?.\"“(]|[-–—]\s)\s*$")
_SEPARATORS = re.compile(r"[\s()./\-–]")

NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "thousand": 1000, "dozen": 12,
    "once": 1, "twice": 2, "single": 1, "double": 2,
    "eins": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9, "zehn": 10,
    "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "dix": 10, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "diez": 10,
}  # fmt: skip
# Weekdays and months, so that "open on Mondays, Wednesdays and Fridays" cannot pass for "Monday to Friday".
_CALENDAR_WORDS = {
    "monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu", "friday": "fri", "saturday": "sat",
    "sunday": "sun", "weekday": "weekday", "weekend": "weekend", "montag": "mon", "dienstag": "tue",
    "mittwoch": "wed", "donnerstag": "thu", "freitag": "fri", "samstag": "sat", "sonntag": "sun", "lundi": "mon",
    "mardi": "tue", "mercredi": "wed", "jeudi": "thu", "vendredi": "fri", "samedi": "sat", "dimanche": "sun",
    "lunes": "mon", "martes": "tue", "miércoles": "wed", "jueves": "thu", "viernes": "fri", "sábado": "sat",
    "domingo": "sun", "понедельник": "mon", "вторник": "tue", "среда": "wed", "четверг": "thu", "пятница": "fri",
    "суббота": "sat", "воскресенье": "sun", "january": "jan", "february": "feb", "march": "mar", "april": "apr",
    "june": "jun", "july": "jul", "august": "aug", "september": "sep", "october": "oct", "november": "nov",
    "december": "dec",
}  # fmt: skip
_CALENDAR = re.compile(
    r"\b(" + "|".join(sorted(_CALENDAR_WORDS, key=len, reverse=True)) + r")(?:s|e|en)?\b", re.I | re.UNICODE
)
# Russian months and weekdays change their ending with the case ("25 декабря", "по пятницам", "в среду"): stems.
_RU_CALENDAR = (
    ("январ", "jan"), ("феврал", "feb"), ("март", "mar"), ("апрел", "apr"), ("ма[йяюе]", "may"), ("июн", "jun"),
    ("июл", "jul"), ("август", "aug"), ("сентябр", "sep"), ("октябр", "oct"), ("ноябр", "nov"),
    ("декабр", "dec"), ("понедельник", "mon"), ("вторник", "tue"), ("сред", "wed"), ("четверг", "thu"),
    ("пятниц", "fri"), ("суббот", "sat"), ("воскресень", "sun"), ("будн", "weekday"), ("выходн", "weekend"),
)  # fmt: skip
_RU_CALENDAR_RE = re.compile(
    r"(?<!\w)(?:" + "|".join(f"(?P<c{i}>{stem})" for i, (stem, _) in enumerate(_RU_CALENDAR)) + r")[а-яё]{0,4}(?!\w)",
    re.I | re.UNICODE,
)
_NEGATION = {
    "en": r"\b(?:not|no|never|none|nothing|nobody|neither|nor|cannot|without|unable)\b|n[’']t\b",
    "de": r"\b(?:nicht|kein\w*|nie|niemals|ohne|weder)\b",
    "fr": r"\b(?:ne|n[’']|pas|jamais|aucune?|sans|ni)\b",
    "es": r"\b(?:no|nunca|jamás|ningun[oa]?|ningún|sin|ni)\b",
    "it": r"\b(?:non|mai|nessun[oa]?|senza|né)\b",
    "pt": r"\b(?:não|nunca|nenhum[a]?|sem|nem)\b",
    "nl": r"\b(?:niet|geen|nooit|zonder|noch)\b",
    "ru": r"(?<!\w)(?:не|нет|никогда|ни|без|нельзя|невозможно|ничего|никто|никак|нигде|ниче[мг]о?|никому|"
    r"никакой|никакая|никакое|никакие|никаких|никакого|никакому|отсутству\w*)(?!\w)",
}
# Capitalised words that start a sentence in answers and are no names.
_NOT_NAMES = frozenset(
    "I A An The This That These Those It Its You Your We Our They Their He She Yes No Not Please Thanks Thank Hello "
    "Hi Dear Sorry Unfortunately Sure Of Also And But Or So If When Where What Which Who How Why To In On At For "
    "From With After Before Then Once Here There Each Every All Any Some Note OK Ok".split()
)
# A spelt-out month or weekday, a unit or an abbreviation is no name when capitalised or in capitals.
_NOT_NAMES_LOWER = frozenset(["т", "ул", "им", "г", "д", "смс", "sms"])


@dataclass(frozen=True)
class Fact:
    kind: str  # email, handle, url, phone, time, number, code, calendar, name
    value: str  # normalised
    text: str  # as written
    start: int


def _number(raw: str) -> str:
    """'1,000' and '1.000' → '1000'; '6,50' → '6.5'; '7 200' → '7200'; '1 234,50' and '1,234.50' → '1234.5';
    '04109' stays (a postcode keeps its zero)."""
    raw = re.sub(_GROUP_SPACE, "", raw)
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", raw):
        return raw.replace(",", "").replace(".", "")
    grouped = re.fullmatch(r"(\d{1,3}(?:([.,])\d{3})+)([.,])(\d+)", raw)
    if grouped and grouped.group(2) != grouped.group(3):  # 1,234.50 or 1.234,50: the last mark is the decimal one
        raw = grouped.group(1).replace(grouped.group(2), "") + "." + grouped.group(4)
    raw = raw.replace(",", ".")
    if raw.count(".") > 1:
        return raw
    if "." in raw:
        whole, fraction = raw.split(".")
        fraction = fraction.rstrip("0")
        return f"{int(whole)}.{fraction}" if fraction else str(int(whole))
    return raw if raw.startswith("0") and len(raw) > 1 else str(int(raw))


def _time(hour: str, minute: str | None, meridiem: str | None) -> str:
    h = int(hour)
    if meridiem:
        pm = meridiem.lower().startswith("p")
        h = (h % 12) + (12 if pm else 0)
    return f"{h}:{minute or '00'}"


def facts(text: str, *, names: bool = True) -> list[Fact]:
    """The facts of ``text`` in order; spans already taken by a more specific kind are not counted again."""
    found: list[Fact] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in taken)

    def add(kind: str, value: str, match: re.Match[str], group: int | str = 0) -> None:
        start, end = match.span(group)
        if free(start, end):
            found.append(Fact(kind, value, match.group(group), start))
            taken.append((start, end))

    for m in _EMAIL.finditer(text):
        add("email", m.group(0).lower().rstrip("."), m)
    for m in _HANDLE.finditer(text):
        add("handle", m.group(0).lower(), m)
    for m in _URL.finditer(text):
        url = m.group(0).rstrip(".,;:!?").lower()
        if "." in url and not re.fullmatch(r"[\d.]+", url):
            found_url = re.sub(r"^(https?://)?(www\.)?", "", url).rstrip("/")
            add("url", found_url, m)
    for m in _PHONE.finditer(text):
        raw = m.group(0).strip()
        digits = re.sub(r"\D", "", raw)
        if re.fullmatch(r"[\d.,]+", raw) and not re.fullmatch(r"\d{2,4}(?:\.\d{2,4}){2,}", raw):
            continue  # 0.000001 or 1,000,000 is a number; 030.5557.0142 is a phone number
        if _SPACED_NUMBER.fullmatch(raw) and not text[: m.start()].rstrip().endswith("+"):
            continue  # 1 500 000 is a number
        # Seven digits or more with separators is a phone number (a date range like 2–4 is two numbers).
        if len(digits) >= 7 and (_SEPARATORS.search(raw) or len(digits) >= 9):
            digits = digits.removeprefix("00").removeprefix("0")
            if len(digits) == 11 and digits.startswith("8") and not raw.startswith("+"):
                digits = "7" + digits[1:]  # 8-800-… and +7 800 … are one Russian number
            add("phone", digits, m)
    for m in _TIME.finditer(text):
        if m.group("h") is not None:
            add("time", _time(m.group("h"), m.group("m"), m.group("ap")), m)
        else:
            add("time", _time(m.group("h2"), m.group("m2"), None), m)
    for m in _CODE.finditer(text):
        token = m.group(0)
        if re.fullmatch(r"\d+(?:st|nd|rd|th|[a-zA-Z]{1,3})", token) and not re.fullmatch(r"\d+[A-Z]{2,}", token):
            continue  # 1st, 24h, 50km: a number with a unit, counted below
        add("code", token.lower(), m)
    for m in _SPACED_NUMBER.finditer(text):
        add("number", _number(m.group(0)), m)
    for m in _NUMBER.finditer(text):
        add("number", _number(m.group(0)), m)
    for m in _UNIT.finditer(text):
        add("unit", _UNITS[m.group(1).lower()], m, 1)
    for m in re.finditer(r"\b(\d+)(?:st|nd|rd|th|[a-zA-Z]{1,3})\b", text):
        add("number", str(int(m.group(1))), m, 1)
    for m in re.finditer(r"\b(" + "|".join(NUMBER_WORDS) + r")\b", text, re.I):
        add("number", str(NUMBER_WORDS[m.group(1).lower()]), m)
    for m in _CALENDAR.finditer(text):
        add("calendar", _CALENDAR_WORDS[m.group(1).lower()], m)
    for m in _RU_CALENDAR_RE.finditer(text):
        index = int(next(k for k, v in m.groupdict().items() if v)[1:])
        add("calendar", _RU_CALENDAR[index][1], m)
    if names:
        for m in _CAPITALISED.finditer(text):
            word = m.group(1).rstrip(".")
            if word in _NOT_NAMES or (_CLAUSE_START.search(text[: m.start()]) and not word.isupper()):
                continue
            if word.lower() in _NOT_NAMES_LOWER:
                continue
            add("name", word.lower(), m)
    return sorted(found, key=lambda f: f.start)


@cache
def _negation(language: str) -> re.Pattern[str]:
    return re.compile(_NEGATION.get(language, _NEGATION["en"]), re.I | re.UNICODE)


def has_negation(text: str, language: str = "en") -> bool:
    return bool(_negation(language).search(text))


def names_checked(language: str) -> bool:
    """German capitalises every noun: a capitalised word there says nothing about names."""
    return language != "de"
