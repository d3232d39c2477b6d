"""The LMTP/SMTP listener (aiosmtpd) as an MTA sees it: only the tenants' addresses, a size limit, a ticket."""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Iterator

import pytest
from django_tenants.utils import tenant_context

from mail.listener import MailHandler
from mail.management.commands.mail_listen import ListenerController
from mail.models import Mailbox
from mail.tests.conftest import corpus
from tickets.models import Ticket


@pytest.fixture
def tenants(committed):
    """acme and globex, committed: the listener's threads must see their mailboxes."""
    from helpdesk.tenants.models import Tenant

    acme, globex = Tenant.objects.get(schema_name="acme"), Tenant.objects.get(schema_name="globex")
    with tenant_context(acme):
        Mailbox.objects.create(name="Support", address="support@acme.test")
    with tenant_context(globex):
        Mailbox.objects.create(name="Поддержка", address="help@globex.test")
    return acme, globex


@pytest.fixture(params=["lmtp", "smtp"])
def listener(request, tenants, settings, media_root) -> Iterator[tuple[str, int]]:
    settings.MAIL_LISTENER_PROTOCOL = request.param
    settings.MAIL_LISTENER_MAX_BYTES = 200_000
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = ListenerController(MailHandler(), hostname="127.0.0.1", port=port)
    controller.start()
    yield request.param, port
    controller.stop()


def client(protocol: str, port: int) -> smtplib.SMTP:
    return smtplib.LMTP("127.0.0.1", port) if protocol == "lmtp" else smtplib.SMTP("127.0.0.1", port)


def test_mail_to_a_tenant_address_becomes_its_ticket(listener, tenants):
    protocol, port = listener
    acme, globex = tenants
    with client(protocol, port) as mta:
        mta.sendmail("ivan.petrov@example.ru", ["help@globex.test"], corpus("ru_cp1251_screenshot.eml"))
    with tenant_context(globex):
        ticket = Ticket.objects.get()
        assert (ticket.subject, ticket.attachments.get().filename) == ("Ошибка оплаты", "скриншот.png")
    with tenant_context(acme):
        assert not Ticket.objects.exists()


def test_unknown_addresses_and_large_messages_are_refused(listener, tenants):
    protocol, port = listener
    with client(protocol, port) as mta:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            mta.sendmail("x@example.com", ["nobody@acme.test"], corpus("gmail_new.eml"))
        assert refused.value.recipients["nobody@acme.test"][0] == 550
    big = corpus("gmail_new.eml") + b"x" * 300_000
    with client(protocol, port) as mta, pytest.raises((smtplib.SMTPDataError, smtplib.SMTPSenderRefused)) as too_big:
        mta.sendmail("x@example.com", ["support@acme.test"], big)
    assert too_big.value.smtp_code == 552
    acme, _ = tenants
    with tenant_context(acme):
        assert not Ticket.objects.exists()
