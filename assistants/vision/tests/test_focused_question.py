"""A ticket whose only words are "please see the attached screenshot" is asked with the screenshot's error
and status lines, not with subject, boilerplate and the page's menus; it is answered from the right article
and still declined when no article fits. Real OCR, embeddings and answer engine (extractive), English in
acme (MiniLM) and Russian in a Russian tenant (e5)."""

from __future__ import annotations

from typing import Any

import pytest

from assistants.selectors import ticket_question
from assistants.services import assistant_create
from assistants.services.drafting import answer_for_ticket
from assistants.vision import samples, services
from assistants.vision.tests.conftest import upload
from assistants.vision.tests.test_roles_and_context import ROUTER_PAGES
from knowledge import services as kb
from tickets import services as tickets

ARTICLES: dict[str, dict[str, Any]] = {
    "en": {
        "right": (
            "Red light on the Fibre Box",
            "A steady red light on the Fibre Box means that no fibre signal reaches it. Check that the green fibre "
            "cable is clicked into the box and is not bent. If the light stays red for more than 10 minutes, the "
            "line has a fault and we send an engineer within 2 working days.",
        ),
        "others": [
            (
                "Managing your account",
                "In My Account you can change your address, download your bills and update your payment card.",
            ),
            ("Late payment fees", "A bill paid after its due date adds a fee of 5 pounds to the next bill."),
            ("Moving house", "Tell us your new address 30 days before you move and we move your broadband."),
        ],
    },
    "ru": {
        "right": (
            "Красный индикатор на роутере",
            "Если индикатор роутера горит красным, сигнал до роутера не доходит. Проверьте, что кабель плотно "
            "вставлен в порт WAN и не перегнут. Если индикатор горит красным дольше 10 минут, на линии авария: "
            "мастер приедет в течение 2 рабочих дней.",
        ),
        "others": [
            (
                "Личный кабинет",
                "В личном кабинете можно сменить адрес, скачать счета и привязать новую банковскую карту.",
            ),
            ("Пени за просрочку", "Если счёт оплачен позже срока, к следующему счёту добавляется пеня 100 рублей."),
            ("Переезд", "Сообщите новый адрес за 30 дней до переезда, и мы перенесём подключение."),
        ],
    },
}
WORDS = {
    "en": ("Help", "Help — please see the attached screenshot"),
    "ru": ("Помогите", "Здравствуйте, помогите, пожалуйста, смотрите скриншот во вложении"),
}


def _help_center(language: str, *, with_answer: bool) -> None:
    chosen = ARTICLES[language]
    for title, text in [*chosen["others"], *([chosen["right"]] if with_answer else [])]:
        document = kb.document_create_from_text(title=title, text=text, language=language, enqueue=False)
        kb.document_index(document_id=document.pk)


def _screenshot_only_ticket(language: str, description: str | None = None):
    subject, words = WORDS[language]
    contact = tickets.contact_ensure(email="dana@northwind.example")
    image, _ = samples.page(layout="sidebar", font=samples.cyrillic_font(), **ROUTER_PAGES[language])
    ticket = tickets.ticket_create(
        subject=subject,
        requester=contact,
        by=contact,
        description=words if description is None else description,
        files=[upload("screen.png", samples.encode(image))],
    )
    for attachment in ticket.attachments.all():
        services.attachment_analyse(attachment_id=attachment.pk)
    return ticket


@pytest.mark.parametrize("in_language", ["en", "ru"], indirect=True)
def test_a_screenshot_only_ticket_is_asked_with_its_error_and_status_lines(in_language, media_root):
    ticket = _screenshot_only_ticket(in_language)
    asked = ticket_question(ticket)
    page = ROUTER_PAGES[in_language]
    assert asked.focused
    assert page["lines"][1] in asked.question and page["lines"][0] in asked.question, asked.question
    assert page["account"] not in asked.question and WORDS[in_language][1] not in asked.question
    assert page["account"] in asked.full  # the agent still sees everything that was read


@pytest.mark.parametrize("in_language", ["en", "ru"], indirect=True)
def test_a_screenshot_only_ticket_is_answered_from_the_right_article(in_language, media_root):
    _help_center(in_language, with_answer=True)
    assistant = assistant_create(name="Support", provider="extractive", language=in_language)
    ticket = _screenshot_only_ticket(in_language)
    draft = answer_for_ticket(ticket=ticket, assistant=assistant)
    cited = [c["document"] for c in draft.result["citations"]]
    assert not draft.result["declined"], draft.result
    assert cited and cited[0] == ARTICLES[in_language]["right"][0], draft.result


@pytest.mark.parametrize("in_language", ["en", "ru"], indirect=True)
def test_a_screenshot_only_ticket_is_still_declined_without_the_article(in_language, media_root):
    _help_center(in_language, with_answer=False)
    assistant = assistant_create(name="Support", provider="extractive", language=in_language)
    draft = answer_for_ticket(ticket=_screenshot_only_ticket(in_language), assistant=assistant)
    assert draft.result["declined"], draft.result


@pytest.mark.parametrize("in_language", ["en", "ru"], indirect=True)
def test_a_customer_who_wrote_enough_is_asked_with_everything(in_language, media_root):
    described = {
        "en": "My broadband stopped working this morning and the box on the wall looks odd",
        "ru": "С утра перестал работать домашний интернет, коробка на стене выглядит странно",
    }[in_language]
    asked = ticket_question(_screenshot_only_ticket(in_language, described))
    assert not asked.focused and described in asked.question
    assert ROUTER_PAGES[in_language]["lines"][1] in asked.question
