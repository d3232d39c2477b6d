"""E-mails are written in their reader's language: a contact's (remembered from their first message or
portal visit, else the tenant's default), an agent's own; counts take Russian's plural forms."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from django_tenants.utils import tenant_context

from conftest import ACME_HOST, make_user
from helpdesk.accounts.services import profile_update, user_invite
from helpdesk.celery import app
from tickets import links, services
from tickets.models import Contact


@pytest.fixture
def outbox(settings, django_capture_on_commit_callbacks):
    """Mail as Django's test outbox sees it: tasks run in place; `with outbox():` runs what a change queued."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    app.conf.task_always_eager = True
    mail.outbox.clear()
    yield lambda: django_capture_on_commit_callbacks(execute=True)
    app.conf.task_always_eager = False


@pytest.fixture
def in_acme(acme) -> Iterator[Any]:
    with tenant_context(acme):
        yield acme


def _to(address: str) -> list[mail.EmailMessage]:
    return [m for m in mail.outbox if address in m.to]


def _files(count: int) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(f"log-{n}.txt", b"line\n", content_type="text/plain") for n in range(count)]


def test_a_russian_contact_gets_russian_mail_and_an_english_one_english(outbox, in_acme):
    agent = make_user(in_acme, "alice@acme.test", "agent")
    russian = services.contact_ensure(email="ivan@example.ru", name="Иван", language="ru")
    english = services.contact_ensure(email="dana@example.com", name="Dana")
    with outbox():
        ru_ticket = services.ticket_create(subject="Не работает вход", description="…", requester=russian, by=russian)
        en_ticket = services.ticket_create(subject="Login broken", description="…", requester=english, by=english)
    [ru_received] = _to("ivan@example.ru")
    [en_received] = _to("dana@example.com")
    assert ru_received.subject == f"[#{ru_ticket.number}] Мы получили ваше обращение: Не работает вход"
    assert "Здравствуйте, Иван!" in ru_received.body and "служба поддержки Acme" in ru_received.body
    assert en_received.subject == f"[#{en_ticket.number}] We received your request: Login broken"
    assert "Hello Dana," in en_received.body and "Здравствуйте" not in en_received.body

    mail.outbox.clear()
    with outbox():
        services.ticket_transition(ticket=ru_ticket, status="solved", by=agent)
        services.ticket_transition(ticket=en_ticket, status="solved", by=agent)
    [ru_status] = _to("ivan@example.ru")
    [en_status] = _to("dana@example.com")
    assert ru_status.subject == f"[#{ru_ticket.number}] Статус вашего обращения: решена"
    assert "ответьте на странице обращения" in ru_status.body
    assert en_status.subject == f"[#{en_ticket.number}] Your request is now solved"


def test_an_agent_reads_mail_in_their_own_language(outbox, in_acme):
    customer = services.contact_ensure(email="dana@example.com", name="Dana")
    alice = make_user(in_acme, "alice@acme.test", "agent")
    boris = make_user(in_acme, "boris@acme.test", "agent")
    profile_update(user=boris, full_name="Борис", timezone="Europe/Moscow", language="ru")
    ticket = services.ticket_create(subject="Printer", description="…", requester=customer, by=customer)
    with outbox():
        services.ticket_assign(ticket=ticket, agent=boris, by=alice)
    [assigned] = _to("boris@acme.test")
    assert assigned.subject == f"[#{ticket.number}] Назначена вам: Printer"
    assert "назначает вам заявку" in assigned.body and "Приоритет: Обычный" in assigned.body
    mail.outbox.clear()
    with outbox():
        services.ticket_assign(ticket=ticket, agent=alice, by=boris)
    [english] = _to("alice@acme.test")
    assert english.subject == f"[#{ticket.number}] Assigned to you: Printer" and "Priority: Normal" in english.body


@pytest.mark.parametrize(
    ("count", "russian", "english"),
    [
        (1, "Приложен 1 файл:", "1 file attached:"),
        (2, "Приложено 2 файла:", "2 files attached:"),
        (5, "Приложено 5 файлов:", "5 files attached:"),
        (21, "Приложен 21 файл:", "21 files attached:"),
    ],
)
def test_a_reply_counts_its_files_in_the_readers_plural_form(outbox, in_acme, settings, count, russian, english):
    settings.TICKETS_MAX_FILES_PER_MESSAGE = 25
    agent = make_user(in_acme, "alice@acme.test", "agent")
    ivan = services.contact_ensure(email="ivan@example.ru", name="Иван", language="ru")
    dana = services.contact_ensure(email="dana@example.com", name="Dana", language="en")
    ticket = services.ticket_create(subject="Логи", description="…", requester=ivan, by=ivan)
    services.ticket_cc_set(ticket=ticket, emails=dana.email, by=agent)
    with outbox():
        services.reply_add(ticket=ticket, body="Смотрите файлы.", by=agent, files=_files(count))
    [to_ivan] = _to(ivan.email)
    [to_dana] = _to(dana.email)
    assert russian in to_ivan.body and "скачать их можно на странице обращения" in to_ivan.body
    assert english in to_dana.body and "download them on the status page" in to_dana.body


@pytest.mark.parametrize(
    ("most", "russian"),
    [(1, "не больше 1 файла"), (2, "не больше 2 файлов"), (5, "не больше 5 файлов"), (21, "не больше 21 файла")],
)
def test_the_file_limit_is_told_in_russian_plural_forms(in_acme, settings, most, russian):
    settings.TICKETS_MAX_FILES_PER_MESSAGE = most
    with translation.override("ru"), pytest.raises(ValidationError) as refused:
        services.attachments_check(_files(most + 1))
    assert russian in refused.value.message_dict["attachments"][0]


def test_a_portal_visitors_language_is_remembered_for_mail(outbox, acme):
    visitor = Client(HTTP_HOST=ACME_HOST, headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})
    with outbox():
        response = visitor.post(
            "/portal/",
            {"email": "olga@example.ru", "name": "Ольга", "subject": "Счёт", "description": "Пришёл двойной счёт"},
        )
    assert response.status_code == 302
    [received] = _to("olga@example.ru")
    assert received.subject.endswith("Мы получили ваше обращение: Счёт")
    with tenant_context(acme):
        olga = Contact.objects.get(email="olga@example.ru")
        assert olga.language == "ru"
        # Later mail stays Russian whoever triggers it and whatever language the request had.
        agent = make_user(acme, "alice@acme.test", "agent")
        ticket = olga.tickets.get()
        mail.outbox.clear()
        with outbox():
            services.reply_add(ticket=ticket, body="Проверим.", by=agent)
        [reply] = _to("olga@example.ru")
        assert "Здравствуйте, Ольга!" in reply.body and "отвечает на ваше обращение" in reply.body


def test_a_contacts_first_portal_visit_sets_their_language_and_a_later_one_keeps_it(in_acme):
    contact = services.contact_ensure(email="pavel@example.ru", name="Павел")
    ticket = services.ticket_create(subject="Вопрос", description="…", requester=contact, by=contact)
    path = links.portal_path(ticket)
    assert Client(HTTP_HOST=ACME_HOST, headers={"Accept-Language": "ru"}).get(path).status_code == 200
    assert Client(HTTP_HOST=ACME_HOST, headers={"Accept-Language": "en"}).get(path).status_code == 200
    contact.refresh_from_db()
    assert contact.language == "ru"


def test_an_invitation_is_written_in_the_tenants_default_language(outbox, acme):
    acme.language = "ru"
    acme.save(update_fields=["language"])
    with tenant_context(acme), outbox():
        user_invite(email="new@acme.test", role="agent")
    [invitation] = _to("new@acme.test")
    assert invitation.subject == "Приглашение в службу поддержки Acme Corporation"
    assert "Ваша роль: Агент" in invitation.body and "(она действует 3 дня и только один раз)" in invitation.body
