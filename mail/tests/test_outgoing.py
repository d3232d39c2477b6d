"""Mail out threads: every ticket mail has a recorded Message-ID, In-Reply-To/References, a signed Reply-To and
the mailbox's From; a real SMTP server (aiosmtpd, in process) receives it, and the customer's answer from a
mail client lands on the same ticket."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message as MessageHandler

from helpdesk.celery import app
from mail.conversation import token_number
from mail.models import BouncedAddress, Direction, Mailbox, MailMessage, MailStatus
from mail.services import mail_ingest
from mail.tests.conftest import corpus
from tickets import services
from tickets.models import Reply, Ticket


class Collector(MessageHandler):
    def __init__(self) -> None:
        super().__init__(email.message.EmailMessage)
        self.messages: list[EmailMessage] = []

    def handle_message(self, message: email.message.Message) -> None:
        self.messages.append(email.message_from_bytes(message.as_bytes(), policy=email.policy.default))


@pytest.fixture
def smtp(settings, django_capture_on_commit_callbacks) -> Iterator[tuple[Collector, object]]:
    """An SMTP server in this process; mail tasks run in place and go to it over the network."""
    handler = Collector()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    app.conf.task_always_eager = True
    yield handler, lambda: django_capture_on_commit_callbacks(execute=True)
    app.conf.task_always_eager = False
    controller.stop()


def ticket_of(raw: bytes, mailbox: Mailbox) -> Ticket:
    ticket = mail_ingest(raw=raw, mailbox=mailbox).ticket
    assert ticket is not None
    return ticket


def reply_body(row: MailMessage) -> str:
    assert row.reply is not None
    return row.reply.body


def client_reply(received: EmailMessage, *, sender: str, body: str, charset: str = "utf-8") -> bytes:
    """What a mail client sends on "Reply": to the Reply-To, Re: subject, In-Reply-To and References."""
    answer = EmailMessage()
    answer["From"] = sender
    answer["To"] = received["Reply-To"]
    answer["Subject"] = f"Re: {received['Subject']}"
    answer["Message-ID"] = make_msgid(domain="client.example")
    answer["In-Reply-To"] = received["Message-ID"]
    answer["References"] = f"{received.get('References', '')} {received['Message-ID']}".strip()
    quoted = "\n".join(f"> {line}" for line in received.get_content().splitlines())
    answer.set_content(f"{body}\n\n{quoted}", charset=charset)  # bare quote, no "wrote:" line above it
    return answer.as_bytes()


def test_agent_reply_reaches_the_customer_threaded_and_the_answer_comes_back(mailbox, smtp, agent):
    server, run = smtp
    with run():
        ticket = ticket_of(corpus("gmail_new.eml"), mailbox)
    received = [m for m in server.messages if m["To"] == "bob.smith@example.com"]
    assert len(received) == 1 and received[0]["In-Reply-To"] == "<CAF=qK8mV1x2yZ3@mail.gmail.com>"
    server.messages.clear()
    with run():
        services.reply_add(ticket=ticket, body="Please try again, we fixed the gateway.", by=agent)
    mails = {m["To"]: m for m in server.messages}
    assert set(mails) == {"bob.smith@example.com", "carol@example.com"}
    to_bob = mails["bob.smith@example.com"]
    assert parseaddr(to_bob["From"]) == ("Acme Support", "support@acme.test")
    assert token_number([parseaddr(to_bob["Reply-To"])[1]]) == ticket.number
    assert to_bob["In-Reply-To"].startswith("<") and "<CAF=qK8mV1x2yZ3@mail.gmail.com>" in to_bob["References"]
    recorded = MailMessage.objects.filter(direction=Direction.OUT, ticket=ticket).values_list("message_id", flat=True)
    assert to_bob["Message-ID"].strip("<>") in recorded
    # The customer answers from a mail client: it lands on the same ticket, cut to the new text.
    row = mail_ingest(raw=client_reply(to_bob, sender="bob.smith@example.com", body="Works now, thanks!"))
    assert (row.status, row.ticket) == (MailStatus.REPLY, ticket)
    assert reply_body(row) == "Works now, thanks!"


def test_a_reply_that_lost_its_headers_still_threads_by_the_reply_address(mailbox, smtp, agent):
    server, run = smtp
    ticket = ticket_of(corpus("gmail_new.eml"), mailbox)
    with run():
        services.reply_add(ticket=ticket, body="Which card?", by=agent)
    to_bob = next(m for m in server.messages if m["To"] == "bob.smith@example.com")
    answer = EmailMessage()
    answer["From"], answer["To"], answer["Subject"] = "bob.smith@example.com", to_bob["Reply-To"], "Visa"
    answer["Message-ID"] = make_msgid()
    answer.set_content("Visa.")
    row = mail_ingest(raw=answer.as_bytes())
    assert (row.status, row.ticket, reply_body(row)) == (MailStatus.REPLY, ticket, "Visa.")


def test_russian_customer_windows_1251_mail_is_read_cut_and_answered(mailbox, smtp, agent, in_acme):
    in_acme.language = "ru"
    server, run = smtp
    with run():
        ticket = ticket_of(corpus("ru_cp1251_screenshot.eml"), mailbox)
    assert ticket.description.startswith("Здравствуйте!") and "С уважением" not in ticket.description
    assert ticket.attachments.get().filename == "скриншот.png"
    server.messages.clear()
    with run():
        services.reply_add(ticket=ticket, body="Попробуйте очистить кэш браузера и оплатить снова.", by=agent)
    [to_ivan] = server.messages
    assert to_ivan["To"] == "ivan.petrov@example.ru"
    assert "Попробуйте очистить кэш" in to_ivan.get_content()
    # His answer in KOI8-R, with Thunderbird's Russian quote header.
    answer = EmailMessage()
    answer["From"], answer["To"] = "Иван Петров <ivan.petrov@example.ru>", to_ivan["Reply-To"]
    answer["Subject"], answer["Message-ID"] = f"Re: {to_ivan['Subject']}", make_msgid(domain="example.ru")
    answer["In-Reply-To"] = to_ivan["Message-ID"]
    answer.set_content(
        "Спасибо, оплата прошла.\n\n07.12.2026 12:00, Acme Support пишет:\n> Попробуйте очистить кэш браузера.\n",
        charset="koi8-r",
    )
    row = mail_ingest(raw=answer.as_bytes())
    assert row.ticket == ticket and reply_body(row) == "Спасибо, оплата прошла."
    assert Reply.objects.filter(ticket=ticket).count() == 2


def test_no_mail_goes_to_a_bouncing_address_and_none_to_an_auto_replier(mailbox, smtp, agent):
    server, run = smtp
    with run():
        ticket = ticket_of(corpus("gmail_new.eml"), mailbox)
        mail_ingest(raw=corpus("auto_reply_ooo.eml"), mailbox=mailbox)
    assert [m["To"] for m in server.messages] == ["bob.smith@example.com"]  # the receipt, none for the auto-reply
    BouncedAddress.objects.create(email="carol@example.com")
    server.messages.clear()
    with run():
        services.reply_add(ticket=ticket, body="Fixed.", by=agent)
    assert [m["To"] for m in server.messages] == ["bob.smith@example.com"]
