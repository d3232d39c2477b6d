"""What each line read from a screenshot is for: an error, a status, content, or the site's chrome.

A customer's screenshot of a router page shows "My Account", a menu and a footer around the two
lines that matter ("Light: steady red", "No fibre signal detected"). Classifying the whole text
lets the loudest words win ("My Account" is a billing word); so each line gets a role, and a role
a weight in the classifier (``pipeline.classify_lines``) and a place in the answer's query
(``focus_lines``):

- ``error``: says that something failed (``ocr.is_error_line``: error words or an error code);
- ``status``: reports a state: "Key: value" lines, status/signal/connection words, "No …" lines;
- ``chrome``: navigation and account furniture: lines made of menu words ("Home", "My Account",
  "Личный кабинет", "Выход"), breadcrumbs, copyright footers, and a row of short items side by side
  (a menu bar, whatever its words);
- ``minor``: one or two words that are none of the above (a button, a heading);
- ``content``: everything else.

The vocabularies are generic words of site navigation and device status in English and Russian,
not the texts of the benchmark's screens (bench/vision.py keeps its own held-out set).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistants.vision import ocr

ERROR, STATUS, CONTENT, MINOR, CHROME = "error", "status", "content", "minor", "chrome"
# How much a line of each role counts when the screen is classified (an error outweighs a menu 30 to 1).
WEIGHTS = {ERROR: 3.0, STATUS: 2.5, CONTENT: 1.0, MINOR: 0.5, CHROME: 0.1}
FOCUS_ROLES = (ERROR, STATUS)

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_LETTER_WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)
# Words of site navigation and account chrome (lower case); a line made of them is chrome.
_CHROME_WORDS = frozenset(
    """
    home menu account accounts my profile sign log out logout signout help support contact contacts us about
    privacy policy terms conditions of use service cookie cookies settings search dashboard notifications
    messages inbox orders order history products services shop store cart basket faq faqs blog news careers
    sitemap language english русский en ru back next cancel close ok yes no all rights reserved copyright
    legal imprint accessibility status careers press investors community forum docs documentation download
    downloads apps app mobile personal business broadband tv mobile phone internet billing payments plans
    offers deals my-account hello hi welcome overview devices device manage subscriptions
    главная меню личный кабинет кабинет мой моя мои профиль выход выйти войти помощь поддержка контакты о нас
    компании компания политика конфиденциальности конфиденциальность условия использования пользовательское
    соглашение все права защищены поиск уведомления сообщения заказы заказ история услуги тарифы магазин
    корзина вопросы ответы новости блог вакансии карта сайта язык назад далее отмена закрыть ок да нет
    интернет телевидение тв мобильная связь оплата платежи счета устройства устройство обзор здравствуйте
    добро пожаловать для бизнеса частным лицам документы приложение приложения скачать
    """.split()  # noqa: SIM905  (a word list reads better as text)
)
# Words that make a line a device's or a service's state (matched on lower-case word starts).
_STATUS_STEMS = (
    "status",
    "state",
    "signal",
    "connect",
    "disconnect",
    "offline",
    "online",
    "light",
    "lamp",
    "blink",
    "flash",
    "steady",
    "link",
    "sync",
    "power",
    "outage",
    "inactive",
    "active",
    "pending",
    "suspended",
    "статус",
    "состояни",
    "сигнал",
    "подключ",
    "соединен",
    "отключ",
    "индикатор",
    "лампоч",
    "мига",
    "горит",
    "светит",
    "сети",
    "связь",
    "связи",
    "авари",
    "приостановлен",
    "ожидани",
    "активн",
    "неактивн",
)
_STATUS_WORDS = frozenset({"down", "led", "red", "amber"})
_NO_SOMETHING = re.compile(r"^\s*(?:no|not|нет|не)\s+\w", re.IGNORECASE)
_KEY_VALUE = re.compile(r"^\s*[^\W\d_][\w .\-/]{0,30}:\s*\S", re.UNICODE)
_BREADCRUMB = re.compile(r"\s(?:›|»|>|/|\\|→)\s")
_FOOTER = re.compile(r"©|\(c\)|copyright|all rights reserved|все права защищены", re.IGNORECASE)


@dataclass(frozen=True)
class RoledLine:
    text: str
    role: str
    box: tuple[int, int, int, int] | None = None

    @property
    def weight(self) -> float:
        return WEIGHTS[self.role]


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def is_chrome_text(text: str) -> bool:
    """Menu words, breadcrumbs or a copyright line: a site's furniture, not what the customer shows."""
    if _FOOTER.search(text):
        return True
    words = [w for w in _words(text) if not w.isdigit()]
    if not words:
        return False
    chrome = sum(1 for w in words if w in _CHROME_WORDS)
    if chrome == len(words):
        return True
    # "Home › My Account › Fibre Box": a trail of short items is where the page sits, not what it says.
    items = [item for item in _BREADCRUMB.split(text) if item.strip()]
    return len(items) >= 3 and all(len(_words(item)) <= 3 for item in items)


def is_status_text(text: str) -> bool:
    """A state: "Light: steady red", "No fibre signal detected", "Статус: нет соединения"."""
    words = _words(text)
    if any(w.startswith(_STATUS_STEMS) or w in _STATUS_WORDS for w in words):
        return True
    return bool(_NO_SOMETHING.match(text) or (_KEY_VALUE.match(text) and len(words) <= 8))


def _row_mates(index: int, boxes: Sequence[tuple[int, int, int, int] | None], texts: Sequence[str]) -> int:
    """How many other short lines sit on the same row as line ``index`` (the items of a menu bar)."""
    box = boxes[index]
    if box is None:
        return 0
    middle = (box[1] + box[3]) / 2
    mates = 0
    for other, (text, other_box) in enumerate(zip(texts, boxes, strict=True)):
        if other == index or other_box is None or len(_words(text)) > 3:
            continue
        if other_box[1] <= middle <= other_box[3]:
            mates += 1
    return mates


def role_of(text: str, *, row_mates: int = 0) -> str:
    if ocr.is_error_line(text):
        return ERROR
    words = _words(text)
    if is_chrome_text(text) or (row_mates >= 2 and len(words) <= 3):
        return CHROME
    if is_status_text(text):
        return STATUS
    if len(_LETTER_WORD.findall(text)) <= 2:
        return MINOR
    return CONTENT


def assign(lines: Sequence[str], boxes: Sequence[Sequence[int] | None] | None = None) -> list[RoledLine]:
    """Each line with its role; ``boxes`` (x0, y0, x1, y1 per line) let a row of menu items count as chrome."""
    fixed: list[tuple[int, int, int, int] | None] = (
        [tuple(b[:4]) if b is not None and len(b) >= 4 else None for b in boxes]  # type: ignore[misc]
        if boxes is not None
        else [None] * len(lines)
    )
    return [
        RoledLine(text, role_of(text, row_mates=_row_mates(i, fixed, lines)), fixed[i]) for i, text in enumerate(lines)
    ]


# A panel's title is a few words; a longer line above the error is content of its own.
_HEADING_WORDS = 4
# OCR boxes of one font size differ by a fifth (rapidocr pads them); a smaller line is a caption, not a title.
_SMALLER = 0.8


def panel_heading(roled: Sequence[RoledLine]) -> int | None:
    """The position of the title of the panel the screenshot's first error or status line sits in (None: none).

    A status page names its device or service in the panel's title ("Modem", «Оптический терминал») and
    reports its state below ("DSL sync: lost"), so the state alone often does not say what it is about.
    The title is the nearest line above the first error or status line that is not chrome, a few words,
    no "Key: value", in letters not clearly smaller than the state's (when boxes are known).
    """
    first = next((i for i, line in enumerate(roled) if line.role in FOCUS_ROLES), None)
    if first is None:
        return None
    state = roled[first].box
    for index in range(first - 1, -1, -1):
        line = roled[index]
        if line.role == CHROME:
            continue
        if line.role not in (MINOR, CONTENT) or len(_words(line.text)) > _HEADING_WORDS or ":" in line.text:
            return None
        if line.box is not None and state is not None and line.box[3] - line.box[1] < _SMALLER * (state[3] - state[1]):
            return None
        return index
    return None


def focus_lines(roled: Sequence[RoledLine]) -> list[str]:
    """The error messages and status lines, errors first: what the screenshot is about."""
    errors = [line.text for line in roled if line.role == ERROR]
    return [*errors, *(line.text for line in roled if line.role == STATUS)]
