"""The assistants pages (LoRA and screenshot labels too), the AI panel and the widget in Russian for a Russian
reader, unchanged in English; the catalogue is complete."""

from __future__ import annotations

import json

from django.apps import apps
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation
from django_tenants.utils import tenant_context

from assistants.lora.models import Adapter, Status
from assistants.models import RequestType
from assistants.services import widget_key_create
from assistants.services.drafting import answer_for_ticket
from assistants.vision.models import AnalysisStatus, AttachmentAnalysis
from conftest import ACME_HOST
from testing.i18n import (
    CYRILLIC,
    leaks,
    reading_russian,
    russian_in,
)
from tickets.models import Attachment, Ticket
from tickets.services import contact_ensure, ticket_create

APP = "assistants"
SITE = "https://www.acme.example"


def _content(acme, support_bot):
    """A widget key, two LoRA versions (one ready with its measurements, one failed), a complaint ticket."""
    with tenant_context(acme):
        widget_key_create(assistant=support_bot, allowed_origins=[SITE])
        Adapter.objects.create(
            assistant=support_bot, number=1, status=Status.FAILED, in_flight=False, error_kind="no_data",
            error="2 pairs", sources=[{"kind": "knowledge"}],
        )  # fmt: skip
        ready = Adapter.objects.create(
            assistant=support_bot, number=2, status=Status.READY, in_flight=False, sources=[{"kind": "knowledge"}],
            metrics={"heldout_loss": {"before": 3.0, "after": 1.0}, "train_loss": {"before": 3.2, "after": 0.9},
                     "training": {"steps": 12, "seconds": 30, "seconds_per_step": 2.5}},
            data={"train": 20, "heldout": 4, "duplicates": 2, "per_source": {"knowledge": 24}},
        )  # fmt: skip
        contact = contact_ensure(email="angry@customer.test")
        ticket = ticket_create(
            subject="Terrible service", requester=contact, by=contact, description="I am furious, nobody answers me!"
        )
        answer_for_ticket(ticket=ticket)  # in the agent's request, as the panel's suggestion is
    return ready, ticket


def _pages(client, support_bot, ready, ticket):
    pk = support_bot.pk
    urls = {
        "list": "/assistants/",
        "new": "/assistants/new/",
        "detail": f"/assistants/{pk}/",
        "edit": f"/assistants/{pk}/edit/",
        "playground": f"/assistants/{pk}/playground/",
        "panel": f"/assistants/tickets/{ticket.number}/panel/",
        "adapters": f"/assistants/{pk}/adapters/",
        "new adapter": f"/assistants/{pk}/adapters/new/",
        "adapter": f"/assistants/{pk}/adapters/{ready.pk}/",
        "labels": "/vision/labels/",
    }
    return {name: client.get(url).content.decode() for name, url in urls.items()}


def test_every_page_reads_russian_for_a_russian_reader(acme, manager_client, manager, help_center, support_bot):
    with tenant_context(acme), reading_russian(manager):
        ready, ticket = _content(acme, support_bot)
        pages = _pages(manager_client, support_bot, ready, ticket)

    for name, page in pages.items():
        assert leaks(page, APP) == [], name
        assert CYRILLIC.search(page), name
    assert "ИИ-ассистенты готовят черновики ответов" in pages["list"]
    assert "Начните с названия" in pages["new"] and "Дружелюбный" in pages["new"]
    assert "Виджет для сайта" in pages["detail"] and "Отозвать ключ" in pages["detail"]
    assert "Максимум новых токенов" in pages["edit"] and "Рядом с текстом (ссылками на панели)" in pages["edit"]
    assert "Русский" in pages["edit"]  # the answer languages by Django's own names
    assert "Спрашивайте то, что спрашивают ваши клиенты" in pages["playground"]
    assert "ИИ-ассистент" in pages["panel"] and "Вставить в ответ" in pages["panel"] and "Полезно" in pages["panel"]
    assert "обращения типа complaint всегда передаются человеку" in pages["panel"]
    assert "Обучить новый адаптер" in pages["adapters"] and "Недостаточно обучающих данных" in pages["adapters"]
    assert "Скорость обучения" in pages["new adapter"] and "Вопросы из базы знаний" in pages["new adapter"]
    assert "До и после" in pages["adapter"] and "2 дубликата удалены" in pages["adapter"]
    assert "Метки скриншотов" in pages["labels"]


def test_the_same_pages_stay_english_for_an_english_reader(acme, manager_client, help_center, support_bot):
    ready, ticket = _content(acme, support_bot)
    pages = _pages(manager_client, support_bot, ready, ticket)

    assert {name: russian_in(page, APP) for name, page in pages.items() if russian_in(page, APP)} == {}
    assert "Website widget" in pages["detail"] and "Max new tokens" in pages["edit"]
    assert "Insert into reply" in pages["panel"] and "complaint requests always go to a person" in pages["panel"]
    assert "Not enough training data" in pages["adapters"] and "2 duplicates removed" in pages["adapter"]


def test_a_count_takes_each_russian_plural_form(acme, manager_client, manager, support_bot):
    with tenant_context(acme):
        for count in (1, 2, 5, 21):
            RequestType.objects.create(
                assistant=support_bot, name=f"kind-{count}", examples="\n".join(f"Example {n}" for n in range(count))
            )
    with tenant_context(acme), reading_russian(manager):
        page = manager_client.get(f"/assistants/{support_bot.pk}/").content.decode()
    english = manager_client.get(f"/assistants/{support_bot.pk}/").content.decode()

    said = " ".join(page.split())
    assert "kind-1 <small>(1 пример)" in said and "kind-2 <small>(2 примера)" in said
    assert "kind-5 <small>(5 примеров)" in said and "kind-21 <small>(21 пример)" in said
    assert "kind-1 <small>(1 example)" in " ".join(english.split())


def _widget_config(headers: dict[str, str], key: str) -> tuple[str, dict]:
    body = Client(HTTP_HOST=ACME_HOST, headers=headers).get(f"/assistants/widget.js?key={key}").content.decode()
    literal = body.split("var config = ", 1)[1].split(";\n", 1)[0]
    return body, json.loads(literal)


def test_the_widget_speaks_the_visitors_language(acme, support_bot):
    with tenant_context(acme):
        key = widget_key_create(assistant=support_bot, allowed_origins=[SITE]).key
    with reading_russian():
        body, russian = _widget_config({"Accept-Language": "ru"}, key)
    _, english = _widget_config({"Accept-Language": "en"}, key)

    texts = russian["texts"]
    assert texts["open"] == "Напишите нам" and texts["send_to_team"] == "Отправить нашей команде"
    assert [texts["attached"][n] for n in (1, 2, 5)] == [
        "Прикреплён 1 скриншот",
        "Прикреплено 2 скриншота",
        "Прикреплено 5 скриншотов",
    ]
    assert leaks(body, APP) == []
    assert english["texts"]["open"] == "Chat with us" and english["texts"]["attached"][2] == "2 screenshots attached"
    assert russian["greeting"] == english["greeting"]  # the assistant's own words follow its language, not the page's


def test_widget_errors_follow_the_visitor(acme, support_bot):
    def chat(language: str) -> str:
        response = Client(HTTP_HOST=ACME_HOST).post(
            "/assistants/widget/chat",
            json.dumps({"key": "wk_unknown", "message": "hi"}),
            content_type="application/json",
            headers={"Origin": SITE, "Accept-Language": language},
        )
        return response.json()["detail"]

    with reading_russian():
        russian = chat("ru")
    assert russian == "Неизвестный или отключённый ключ виджета."
    assert chat("en") == "Unknown or disabled widget key."


def test_a_read_screenshot_is_described_in_russian_with_its_line_count():
    ticket = Ticket(number=7, category="")
    attachment = Attachment(pk=3, ticket=ticket, filename="pay.png")

    def described(lines: int) -> str:
        analysis = AttachmentAnalysis(
            attachment=attachment, status=AnalysisStatus.DONE, category="payment_problem", confidence=0.42,
            source="ocr", text="Card declined", lines=[{"text": "Card declined"}] * lines, error_codes=["E-102"],
        )  # fmt: skip
        context = {"ticket": ticket, "attachment": attachment, "analysis": analysis, "low_confidence": 0.6,
                   "titles": {"payment_problem": "Payment problem"}, "can_apply": True}  # fmt: skip
        return " ".join(render_to_string("vision/attachment.html#analysis", context).split())

    with translation.override("ru"):
        said = {count: described(count) for count in (1, 2, 5, 21)}
    english = described(2)

    assert "Найденный текст (1 строка)" in said[1] and "Найденный текст (2 строки)" in said[2]
    assert "Найденный текст (5 строк)" in said[5] and "Найденный текст (21 строка)" in said[21]
    assert "скриншот: Payment problem (42%)" in said[1] and "низкая уверенность: проверьте перед применением" in said[1]
    assert "источник: текст (ocr)" in said[1] and "Коды ошибок:" in said[1] and leaks(said[5], APP) == []
    assert "Detected text (2 lines)" in english and "low confidence: check before applying" in english


def test_the_admin_names_the_apps_in_the_readers_language():
    with translation.override("ru"):
        russian = [str(apps.get_app_config(label).verbose_name) for label in ("assistants", "lora", "vision")]
    assert russian == ["Ассистенты", "Адаптеры LoRA", "Разбор скриншотов"]
    assert str(apps.get_app_config("lora").verbose_name) == "LoRA adapters"
