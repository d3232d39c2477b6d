"""The mailboxes page, its Test connection, failed mail with Retry and Make a ticket, the sandboxed HTML view,
the admin and ``manage.py mailbox_set``; an agent, an outsider and another tenant's ids are refused."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import tenant_context

from mail.models import Mailbox, MailMessage, MailStatus
from mail.services import mail_ingest
from mail.tests.conftest import corpus
from testing.i18n import reading_russian
from tickets.models import Ticket


@pytest.fixture
def failed(mailbox) -> MailMessage:
    return mail_ingest(raw=corpus("malformed_no_from.eml"), mailbox=mailbox)


def test_manager_sees_mailboxes_counts_and_failures(manager_client, mailbox, failed):
    mail_ingest(raw=corpus("gmail_new.eml"), mailbox=mailbox)
    mail_ingest(raw=corpus("gmail_reply.eml"), mailbox=mailbox)
    mail_ingest(raw=corpus("spam.eml"), mailbox=mailbox)
    page = manager_client.get("/mail/").content.decode()
    assert "support@acme.test" in page
    assert "Tickets: <strong>1</strong> · replies: <strong>1</strong> · stored only: 1 · failed: 1" in page
    assert "The message has no sender address (From) we can read." in page and "Retry" in page


def test_the_page_in_russian(manager_client, manager, mailbox, in_acme):
    in_acme.language = "ru"  # the reason is written in the tenant's language
    mail_ingest(raw=corpus("malformed_no_from.eml"), mailbox=mailbox)
    with reading_russian(manager):
        page = manager_client.get("/mail/").content.decode()
    assert "Почтовые ящики" in page and "Письма с ошибкой" in page and "Повторить" in page
    assert "Заявок: <strong>0</strong> · ответов: <strong>0</strong> · только сохранено: 0 · с ошибкой: 1" in page
    assert "В письме нет адреса отправителя (From), который можно прочитать." in page


def test_test_connection_in_russian(manager_client, manager, mailbox):
    mailbox.imap_host, mailbox.imap_port, mailbox.imap_username = "127.0.0.1", 9, "x"
    mailbox.save()
    with reading_russian(manager):
        response = manager_client.post(f"/mail/mailboxes/{mailbox.pk}/test/", headers={"HX-Request": "true"})
    assert "В соединении отказано" in response.content.decode()


def test_agent_and_outsider_are_refused(agent_client, outsider_client, mailbox):
    assert agent_client.get("/mail/").status_code == 403
    assert outsider_client.get(f"/mail/mailboxes/{mailbox.pk}/").status_code in (403, 404)


def test_manager_adds_a_mailbox_and_the_password_is_never_shown(manager_client, acme):
    response = manager_client.post(
        "/mail/mailboxes/new/",
        {
            "name": "Поддержка",
            "address": "Help@Acme.test",
            "enabled": "on",
            "imap_host": "imap.acme.test",
            "imap_port": "993",
            "imap_security": "ssl",
            "imap_username": "help@acme.test",
            "imap_folder": "INBOX",
            "imap_processed_folder": "Обработано",
            "password": "очень-секретно",
        },
    )
    assert response.status_code == 302
    with tenant_context(acme):
        box = Mailbox.objects.get(address="help@acme.test")
    assert box.has_password and "очень-секретно" not in box.imap_password_encrypted
    page = manager_client.get(f"/mail/mailboxes/{box.pk}/").content.decode()
    assert "очень-секретно" not in page and "never shown again" in page


def test_test_connection_reports_a_refused_connection(manager_client, mailbox):
    mailbox.imap_host, mailbox.imap_port, mailbox.imap_username = "127.0.0.1", 9, "x"
    mailbox.save()
    response = manager_client.post(f"/mail/mailboxes/{mailbox.pk}/test/", headers={"HX-Request": "true"})
    assert "The connection was refused" in response.content.decode()
    mailbox.refresh_from_db()
    assert mailbox.last_test_ok is False


def test_retry_and_make_a_ticket(manager_client, failed, acme):
    assert manager_client.post(f"/mail/messages/{failed.pk}/retry/").status_code == 302
    with tenant_context(acme):
        again = MailMessage.objects.get(status=MailStatus.FAILED)
    response = manager_client.post(f"/mail/messages/{again.pk}/ticket/", {"email": "client@example.net"})
    assert response.status_code == 302
    with tenant_context(acme):
        ticket = Ticket.objects.get()
        assert ticket.requester.email == "client@example.net"
        assert MailMessage.objects.get(pk=again.pk).ticket == ticket


def test_original_html_is_shown_sandboxed(agent_client, mailbox):
    row = mail_ingest(raw=corpus("html_only.eml"), mailbox=mailbox)
    response = agent_client.get(f"/mail/messages/{row.pk}/html/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "password reset" in body and "<script" not in body and "tracker.example" not in body
    assert (
        "sandbox" in response["Content-Security-Policy"] and "img-src cid: data:" in response["Content-Security-Policy"]
    )


def test_mailbox_set_creates_and_changes_a_mailbox(acme, media_root, monkeypatch, capsys):
    monkeypatch.setenv("MAILBOX_PASSWORD", "пароль")
    call_command(
        "mailbox_set",
        "--tenant",
        "acme",
        "--address",
        "Support@Acme.test",
        "--name",
        "Поддержка",
        "--imap-host",
        "imap.acme.test",
        "--imap-user",
        "support",
        "--password-env",
        "MAILBOX_PASSWORD",
    )
    call_command("mailbox_set", "--tenant", "acme", "--address", "support@acme.test", "--disable")
    with tenant_context(acme):
        box = Mailbox.objects.get()
    assert (box.name, box.imap_host, box.enabled, box.has_password) == ("Поддержка", "imap.acme.test", False, True)
    output = capsys.readouterr().out
    assert "Created mailbox support@acme.test" in output and "пароль" not in output
    with pytest.raises(CommandError, match="UNSET_VARIABLE"):
        call_command("mailbox_set", "--tenant", "acme", "--address", "x@acme.test", "--password-env", "UNSET_VARIABLE")


def test_admin_lists_mailboxes_without_passwords(manager_client, mailbox):
    page = manager_client.get("/admin/mail/mailbox/").content.decode()
    assert "support@acme.test" in page


def test_ticket_page_panel_lists_the_conversations_mail(agent_client, agent, mailbox):
    ticket = mail_ingest(raw=corpus("ru_cp1251_screenshot.eml"), mailbox=mailbox).ticket
    assert ticket is not None
    mail_ingest(raw=corpus("thunderbird_reply_koi8r.eml"), mailbox=mailbox)
    assert 'hx-get="/mail/tickets/' in agent_client.get(f"/tickets/{ticket.number}/").content.decode()
    with reading_russian(agent):
        panel = agent_client.get(f"/mail/tickets/{ticket.number}/panel/").content.decode()
    assert "ivan.petrov@example.ru" in panel and "Всё письмо" in panel
    assert "07.12.2026 12:00, Служба поддержки Acme пишет:" in panel  # the whole message, quote included
