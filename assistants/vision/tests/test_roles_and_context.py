"""Screens are classified by what their lines are for (errors and status over menus and "My Account"),
together with the ticket's own words; real OCR (rapidocr, Tesseract rus) and the real embedding models."""

from __future__ import annotations

from typing import Any

import pytest

from assistants.selectors import informative_words
from assistants.vision import pipeline, roles, samples, services
from assistants.vision.tests.conftest import upload
from tickets import services as tickets

ROUTER_PAGES: dict[str, dict[str, Any]] = {
    "en": {
        "title": "Fibre Box status",
        "lines": ["Light: steady red", "No fibre signal detected"],
        "nav": ["Home", "Broadband", "Billing", "Help"],
        "account": "My Account",
        "breadcrumbs": ["Home", "My Account", "Fibre Box"],
        "footer": ["Privacy", "Terms", "© 2026 Netco"],
    },
    "ru": {
        "title": "Статус роутера",
        "lines": ["Индикатор: горит красным", "Нет сигнала"],
        "nav": ["Главная", "Интернет", "Оплата", "Помощь"],
        "account": "Личный кабинет",
        "breadcrumbs": ["Главная", "Личный кабинет", "Роутер"],
        "footer": ["Конфиденциальность", "© 2026 Связь"],
    },
}


@pytest.mark.parametrize(
    ("line", "role"),
    [
        ("My Account", roles.CHROME),
        ("Личный кабинет", roles.CHROME),
        ("Home › My Account › Fibre Box", roles.CHROME),
        ("Главная › Личный кабинет › Роутер", roles.CHROME),
        ("Privacy Terms © 2026 Netco", roles.CHROME),
        ("Главная Интернет Оплата Помощь", roles.CHROME),
        ("Light: steady red", roles.STATUS),
        ("No fibre signal detected", roles.STATUS),
        ("Индикатор: горит красным", roles.STATUS),
        ("Нет сигнала", roles.STATUS),
        ("Error 0x80070005: card declined by issuer", roles.ERROR),
        ("Не удалось сохранить файл.", roles.ERROR),
        ("Choose the plan that fits your team", roles.CONTENT),
        ("Выберите тариф для вашей команды", roles.CONTENT),
    ],
)
def test_each_line_gets_a_role(line, role):
    assert roles.role_of(line) == role


def test_a_row_of_short_items_is_a_menu_whatever_its_words():
    roled = roles.assign(
        ["Widgets", "Gadgets", "Sprockets", "Sync failed: server not reachable"],
        [[10, 10, 80, 30], [100, 12, 180, 30], [200, 10, 280, 31], [10, 100, 400, 130]],
    )
    assert [line.role for line in roled] == [roles.CHROME, roles.CHROME, roles.CHROME, roles.ERROR]
    assert roles.focus_lines(roled) == ["Sync failed: server not reachable"]


@pytest.mark.parametrize("layout", samples.PAGE_LAYOUTS)
@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_status_page_inside_account_chrome_is_a_technical_failure(default_labels, language, layout):
    """ "My Account" / «Личный кабинет», menus and footers around it no longer make it a payment problem."""
    image, _ = samples.page(layout=layout, font=samples.cyrillic_font(), **ROUTER_PAGES[language])
    result = pipeline.analyse(samples.encode(image), default_labels, use_clip=False, languages=[language])
    assert result.category == "technical_failure", (result.text, result.scores)
    assert result.confidence >= 0.5, result.scores


ORDER_PAGES = {
    "en": ("Order 48213", ["Placed on 3 March", "2 items"], ["Home", "Shop", "Help"], "My Account"),
    "ru": ("Заказ 48213", ["Оформлен 3 марта", "2 товара"], ["Главная", "Магазин", "Помощь"], "Личный кабинет"),
}


@pytest.mark.parametrize(
    ("language", "words", "category"),
    [
        ("en", "The app crashes every time I open this order", "technical_failure"),
        ("ru", "С меня дважды списали деньги за этот заказ, верните один платёж", "payment_problem"),
    ],
)
def test_the_tickets_own_words_count_with_the_screen(default_labels, language, words, category):
    title, lines, nav, account = ORDER_PAGES[language]
    image, _ = samples.page(title, lines, nav=nav, account=account, font=samples.cyrillic_font())
    data = samples.encode(image)
    alone = pipeline.analyse(data, default_labels, use_clip=False, languages=[language])
    together = pipeline.analyse(data, default_labels, use_clip=False, languages=[language], context=words)
    assert alone.category != category, alone.scores
    assert together.category == category, together.scores


@pytest.mark.parametrize(
    ("text", "informative"),
    [
        ("Help\n\nHelp — please see the attached screenshot", []),
        ("Помогите\n\nЗдравствуйте, смотрите скриншот во вложении, пожалуйста", []),
        ("Internet down since this morning, see the screenshot", ["internet", "down", "since", "morning"]),
        ("Интернет не работает с утра", ["интернет", "работает", "утра"]),
    ],
)
def test_boilerplate_is_not_the_customers_words(text, informative):
    assert informative_words(text) == informative


@pytest.mark.parametrize(
    ("language", "description", "category"),
    [
        ("en", "The app crashes every time I open this order", "technical_failure"),
        ("ru", "С меня дважды списали деньги за этот заказ, верните один платёж", "payment_problem"),
    ],
)
def test_the_worker_classifies_a_screenshot_with_the_tickets_words(
    in_acme, contact, media_root, language, description, category
):
    title, lines, nav, account = ORDER_PAGES[language]
    image, _ = samples.page(title, lines, nav=nav, account=account, font=samples.cyrillic_font())
    ticket = tickets.ticket_create(subject="Order", requester=contact, by=contact, description=description)
    reply = tickets.reply_add(ticket=ticket, body="…", by=contact, files=[upload("order.png", samples.encode(image))])
    analysis = services.attachment_analyse(attachment_id=reply.attachments.get().pk)
    assert analysis is not None
    assert analysis.category == category, analysis.scores
