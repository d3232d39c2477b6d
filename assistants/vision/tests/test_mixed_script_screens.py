"""Status pages that name their device in the panel's title and show Latin terms on Russian screens
("LOS: горит красным", "Линия PON: нет связи"): Tesseract's Russian model misreads those terms, the
Latin model reads them again; the panel's title joins the screenshot-only ticket's question. Real OCR,
embeddings and answer engine (extractive), English in acme (MiniLM) and Russian in a Russian tenant (e5).
"""

from __future__ import annotations

from typing import Any

import pytest

from assistants.selectors import ticket_question
from assistants.services import assistant_create
from assistants.services.drafting import answer_for_ticket
from assistants.vision import reading, roles, samples, services
from assistants.vision.imaging import load_image
from assistants.vision.tests.conftest import upload
from assistants.vision.tests.test_focused_question import ARTICLES, WORDS
from knowledge import services as kb
from tickets import services as tickets

TERMINAL_PAGES: dict[str, dict[str, Any]] = {
    "en": {
        "title": "Optical terminal",
        "lines": ["LOS: red", "PON link: down"],
        "nav": ["Dashboard", "Orders", "Billing", "Support"],
        "account": "Sign out",
        "footer": ["Privacy policy", "© 2026 Netco"],
    },
    "ru": {
        "title": "Оптический терминал",
        "lines": ["LOS: горит красным", "Линия PON: нет связи"],
        "nav": ["Обзор", "Заказы", "Оплата", "Поддержка"],
        "account": "Выйти",
        "footer": ["Конфиденциальность", "© 2026 Связь"],
    },
}
# The articles name the terminal's PON line too: a name of the question that no article mentions raises the
# score an answer needs (the engine's guard against questions about something the knowledge never names).
TERMINAL_ARTICLES = {
    "en": (
        "LOS light on the optical terminal",
        "A red LOS light on the optical terminal means that no light reaches it from the street. Check that the "
        "yellow fibre patch cable is clicked in at both ends and not bent. If LOS stays red and the PON link is down, "
        "the fibre is damaged outside and we send an engineer within 2 working days.",
    ),
    "ru": (
        "Индикатор LOS на оптическом терминале",
        "Красный индикатор LOS на оптическом терминале означает, что свет с улицы до него не доходит. Проверьте, "
        "что жёлтый оптический патч-корд защёлкнут с обеих сторон и не перегнут. Если LOS горит красным, а линия "
        "PON без связи, кабель повреждён снаружи, и мастер приедет в течение 2 рабочих дней.",
    ),
}
# A page no article covers: declined, even though its title and lines are read and asked.
LOCKER_PAGES = {
    "en": ("Parcel locker", ["Door 14: jammed", "Collection not possible"]),
    "ru": ("Постамат", ["Ячейка 14: заклинило", "Выдача невозможна"]),
}


def _page(language: str, title: str, lines: list[str]) -> bytes:
    chrome = TERMINAL_PAGES[language]
    image, _ = samples.page(
        title,
        lines,
        nav=chrome["nav"],
        account=chrome["account"],
        footer=chrome["footer"],
        layout="sidebar",
        font=samples.cyrillic_font(),
    )
    return samples.encode(image)


def _help_center(language: str, *, with_answer: bool) -> None:
    chosen = ARTICLES[language]
    articles = [chosen["right"], *chosen["others"], *([TERMINAL_ARTICLES[language]] if with_answer else [])]
    for title, text in articles:
        document = kb.document_create_from_text(title=title, text=text, language=language, enqueue=False)
        kb.document_index(document_id=document.pk)


def _ticket(language: str, title: str, lines: list[str]):
    subject, words = WORDS[language]
    contact = tickets.contact_ensure(email="dana@northwind.example")
    ticket = tickets.ticket_create(
        subject=subject,
        requester=contact,
        by=contact,
        description=words,
        files=[upload("screen.png", _page(language, title, lines))],
    )
    for attachment in ticket.attachments.all():
        services.attachment_analyse(attachment_id=attachment.pk)
    return ticket


def test_latin_terms_on_a_russian_screen_are_read_in_latin_letters():
    page = TERMINAL_PAGES["ru"]
    result = reading.read_text(load_image(_page("ru", page["title"], page["lines"])).image, languages=["ru"])
    texts = [line.text for line in result.lines]
    assert result.engine == "tesseract"
    assert page["lines"][0] in texts and page["lines"][1] in texts, "\n".join(texts)
    assert page["title"] in texts, texts  # the Russian words around them stay Russian


def test_an_english_screen_keeps_its_latin_terms():
    page = TERMINAL_PAGES["en"]
    result = reading.read_text(load_image(_page("en", page["title"], page["lines"])).image, languages=["en"])
    texts = [line.text for line in result.lines]
    assert page["lines"][0] in texts and page["lines"][1] in texts, texts


@pytest.mark.parametrize(
    ("lines", "heading"),
    [
        (["Dashboard", "Optical terminal", "Orders", "LOS: red", "PON link: down"], "Optical terminal"),
        (
            ["Обзор", "Оптический терминал", "Заказы", "LOS: горит красным", "Линия PON: нет связи"],
            "Оптический терминал",
        ),
        # A sentence above the state is content, not a title; a page without a state has no panel title.
        (["Your fibre line is being checked by our team", "LOS: red"], ""),
        (["Ваша линия сейчас проверяется нашими инженерами", "LOS: горит красным"], ""),
        (["Optical terminal", "Your plan includes a free engineer visit"], ""),
        (["Оптический терминал", "Ваш тариф включает бесплатный выезд мастера"], ""),
    ],
)
def test_the_panel_title_is_the_short_line_above_the_state(lines, heading):
    roled = roles.assign(lines)
    index = roles.panel_heading(roled)
    assert (roled[index].text if index is not None else "") == heading


@pytest.mark.parametrize("in_language", ["en", "ru"], indirect=True)
def test_the_panel_title_joins_a_screenshot_only_question(in_language, media_root):
    page = TERMINAL_PAGES[in_language]
    asked = ticket_question(_ticket(in_language, page["title"], page["lines"]))
    assert asked.focused
    assert page["title"] in asked.question, asked.question
    assert all(line in asked.question for line in page["lines"]), asked.question
    assert page["account"] not in asked.question, asked.question


@pytest.mark.parametrize("in_language", ["en", "ru"], indirect=True)
def test_a_terminal_page_is_answered_from_its_article(in_language, media_root):
    _help_center(in_language, with_answer=True)
    assistant = assistant_create(name="Support", provider="extractive", language=in_language)
    page = TERMINAL_PAGES[in_language]
    draft = answer_for_ticket(ticket=_ticket(in_language, page["title"], page["lines"]), assistant=assistant)
    cited = [c["document"] for c in draft.result["citations"]]
    assert not draft.result["declined"], draft.result
    assert cited and cited[0] == TERMINAL_ARTICLES[in_language][0], draft.result


@pytest.mark.parametrize("in_language", ["en", "ru"], indirect=True)
def test_a_page_no_article_covers_is_declined(in_language, media_root):
    _help_center(in_language, with_answer=True)
    assistant = assistant_create(name="Support", provider="extractive", language=in_language)
    title, lines = LOCKER_PAGES[in_language]
    ticket = _ticket(in_language, title, lines)
    assert title in ticket_question(ticket).question  # asked with its title too, and still no article fits
    draft = answer_for_ticket(ticket=ticket, assistant=assistant)
    assert draft.result["declined"], draft.result
