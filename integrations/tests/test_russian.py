"""The integrations pages in Russian for a Russian reader, unchanged in English; the catalogue is complete."""

from __future__ import annotations

from django.apps import apps
from django.utils import translation

from integrations import selectors, services
from integrations.events import services as events
from integrations.models import WebhookDelivery
from integrations.services.outbox import outbox_process
from testing.i18n import (
    CYRILLIC,
    leaks,
    reading_russian,
    russian_in,
)

APP = "integrations"


def _pages(client, fake_jira, ticket, agent):
    """The monitor with a failed escalation, a sync log and a webhook; the Jira settings, the webhooks, the panel."""
    item = services.ticket_escalate(ticket=ticket, system="jira", by=agent)
    fake_jira.fail(1, status=403)
    outbox_process(item_id=item.pk)
    endpoint, _ = events.endpoint_create(url="https://hooks.example.com/helpdesk", events=["ticket.created"])
    events.event_emit(event="ticket.created", ticket=ticket)
    WebhookDelivery.objects.filter(endpoint=endpoint).update(attempts=2)
    urls = {
        "monitor": "/integrations/",
        "jira": "/integrations/jira/",
        "zendesk": "/integrations/zendesk/",
        "webhooks": "/integrations/webhooks/",
        "webhook": f"/integrations/webhooks/{endpoint.pk}/",
        "panel": f"/integrations/tickets/{ticket.number}/panel/",
    }
    return {name: client.get(url).content.decode() for name, url in urls.items()}


def test_every_page_reads_russian_for_a_russian_reader(manager_client, jira, fake_jira, ticket, agent, manager):
    with reading_russian(manager):
        pages = _pages(manager_client, fake_jira, ticket, agent)

    for name, page in pages.items():
        assert leaks(page, APP) == [], name
        assert CYRILLIC.search(page), name
    monitor = pages["monitor"]
    assert "Неудачные эскалации" in monitor and "Повторить" in monitor and "не подключено" in monitor
    assert "Последняя успешная синхронизация:" in monitor and "Исходящие веб-хуки" in monitor and "1 адрес" in monitor
    assert "(2 попытки)" in monitor
    assert "Подключение к Jira" in pages["jira"] and "Проверить подключение" in pages["jira"]
    assert "Ключ проекта" in pages["jira"] and "Когда задача решена, перевести заявку в состояние" in pages["jira"]
    assert "Id группы" in pages["zendesk"]
    assert "Добавить веб-хук" in pages["webhooks"] and "Доставки" in pages["webhook"]
    assert "Связанные задачи" in pages["panel"] and "эскалация не удалась после 1 попытки:" in pages["panel"]


def test_the_same_pages_stay_english_for_an_english_reader(manager_client, jira, fake_jira, ticket, agent):
    pages = _pages(manager_client, fake_jira, ticket, agent)

    assert "Failed escalations" in pages["monitor"] and "1 endpoint" in pages["monitor"]
    assert "(2 attempts)" in pages["monitor"] and "Test connection" in pages["jira"]
    assert "escalation failed after 1 attempt:" in pages["panel"] and "Add a webhook" in pages["webhooks"]
    assert {name: russian_in(page, APP) for name, page in pages.items() if russian_in(page, APP)} == {}


def test_a_count_takes_each_russian_plural_form(manager_client, in_acme, manager):
    said = {}
    for count in (1, 2, 5, 21):
        while len(selectors.endpoint_list()) < count:
            events.endpoint_create(url="https://hooks.example.com/helpdesk", events=["ticket.created"])
        with reading_russian(manager):
            said[count] = manager_client.get("/integrations/").content.decode()

    assert "1 адрес ·" in said[1] and "2 адреса ·" in said[2] and "5 адресов ·" in said[5] and "21 адрес ·" in said[21]


def test_an_escalation_refusal_follows_the_reader(agent_client, in_acme, ticket, agent):
    url = f"/integrations/tickets/{ticket.number}/escalate/"
    with reading_russian(agent):
        russian = agent_client.post(url, {"system": "jira"}, headers={"HX-Request": "true"}).content.decode()
    english = agent_client.post(url, {"system": "jira"}, headers={"HX-Request": "true"}).content.decode()

    assert "Jira не подключён; менеджер может настроить подключение в разделе «Интеграции»." in russian
    assert "Jira is not connected; a manager can set it up under Integrations." in english


def test_the_admin_names_the_apps_in_the_readers_language():
    labels = ("integrations", "integrations_jira", "integrations_zendesk")
    with translation.override("ru"):
        russian = [str(apps.get_app_config(label).verbose_name) for label in labels]
    assert russian == ["Интеграции", "Интеграции: Jira", "Интеграции: Zendesk"]
    assert str(apps.get_app_config("integrations_jira").verbose_name) == "Integrations: Jira"
