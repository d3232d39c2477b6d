"""End to end with a real Celery worker and a real Dovecot: beat's poll task reads the mailbox, the Russian
windows-1251 mail becomes a ticket, and the screenshot processor reads its screenshot (Tesseract, Russian)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.files.storage import default_storage
from django_tenants.utils import tenant_context

from helpdesk.celery import app
from knowledge.tests.conftest import wait_for
from mail.models import Mailbox, MailMessage, Security
from mail.services import mailbox_save
from mail.tests.conftest import corpus, imap
from tickets.models import Attachment, Ticket


@pytest.fixture
def acme_ru(committed) -> Iterator[object]:
    """The acme tenant, committed (the worker must see it), Russian for this test only."""
    from helpdesk.tenants.models import Tenant

    tenant = Tenant.objects.get(schema_name="acme")
    language = tenant.language
    Tenant.objects.filter(pk=tenant.pk).update(language="ru")
    tenant.refresh_from_db()
    yield tenant
    with tenant_context(tenant):  # files the worker stored in the real MEDIA_ROOT
        for row in MailMessage.objects.exclude(raw=""):
            default_storage.delete(row.raw.name)
        for attachment in Attachment.objects.all():
            attachment.file.delete(save=False)
    Tenant.objects.filter(pk=tenant.pk).update(language=language)


def _ticket(tenant) -> Ticket | None:
    with tenant_context(tenant):
        return Ticket.objects.filter(subject="Ошибка оплаты").first()


def test_beat_poll_turns_russian_mail_into_a_ticket_whose_screenshot_is_read(acme_ru, dovecot, celery_worker):
    with imap(dovecot, "ru@acme.test") as client:
        client.delete(client.uids("ALL"))
        client.append(corpus("ru_cp1251_screenshot.eml"), "INBOX")
    with tenant_context(acme_ru):
        mailbox_save(
            mailbox=Mailbox(
                name="Поддержка",
                address="support@acme.test",
                imap_host=dovecot.host,
                imap_port=dovecot.port,
                imap_security=Security.NONE,  # the worker has no copy of the test certificate
                imap_username="ru@acme.test",
                imap_processed_folder="Обработано",
            ),
            password=dovecot.users["ru@acme.test"],
        )
    app.send_task("mail.poll_all_tenants")
    wait_for(lambda: _ticket(acme_ru) is not None, timeout=60)
    ticket = _ticket(acme_ru)
    assert ticket is not None
    wait_for(lambda: "502" in _attachment_text(acme_ru, ticket.pk), timeout=120)
    with tenant_context(acme_ru):
        fresh = Ticket.objects.get(pk=ticket.pk)
        assert fresh.requester.name == "Иван Петров" and fresh.channel == "email"
        assert "оплаты" in fresh.attachment_text.lower()
    with imap(dovecot, "ru@acme.test") as client:
        assert client.uids("ALL") == []
        client.folder.set("Обработано")
        assert len(client.uids("ALL")) == 1


def _attachment_text(tenant, pk: int) -> str:
    with tenant_context(tenant):
        return Ticket.objects.get(pk=pk).attachment_text
