"""Mail in: tickets and replies from real MIME, threading, flagged strangers, files, never twice, never a loop."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.core import mail as outbox_mail
from django.core.files.storage import default_storage

from mail.conversation import reply_address
from mail.models import BouncedAddress, Mailbox, MailMessage, MailStatus
from mail.services import failed_retry, failed_to_ticket, mail_ingest
from mail.services.ingest import UNVERIFIED_TAG
from mail.tests.conftest import corpus
from tickets import services
from tickets.models import Attachment, Channel, Contact, Reply, Status, Ticket


def build(
    *,
    sender: str = "bob.smith@example.com",
    to: str = "support@acme.test",
    subject: str = "Help",
    body: str = "Text.",
    **headers: str,
) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Message-ID"] = make_msgid(domain="client.example")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


def test_new_mail_becomes_an_email_ticket_from_a_new_contact_with_cc(ingest, outbox):
    with outbox():
        row = ingest("gmail_new.eml")
    ticket = row.ticket
    assert row.status == MailStatus.NEW_TICKET
    assert (ticket.channel, ticket.subject) == (Channel.EMAIL, "Payment page shows error 502")
    assert ticket.description.endswith("I tried twice this morning.")
    assert (ticket.requester.email, ticket.requester.name) == ("bob.smith@example.com", "Bob Smith")
    assert list(ticket.cc.values_list("email", flat=True)) == ["carol@example.com"]
    # The customer hears we have it, in the conversation's thread.
    [received] = [m for m in outbox_mail.outbox if m.to == ["bob.smith@example.com"]]
    assert received.extra_headers["In-Reply-To"] == "<CAF=qK8mV1x2yZ3@mail.gmail.com>"


def test_mail_from_a_known_contact_is_theirs(ingest, contact):
    row = ingest(build(sender="Dana <DANA@northwind.example>", subject="Printer"))
    assert row.ticket.requester == contact
    assert Contact.objects.filter(email="dana@northwind.example").count() == 1


def test_russian_windows_1251_mail_with_screenshot_makes_a_ticket_with_the_image(ingest):
    ticket = ingest("ru_cp1251_screenshot.eml").ticket
    assert ticket.subject == "Ошибка оплаты"
    assert ticket.requester.name == "Иван Петров"
    assert ticket.description.startswith("Здравствуйте!") and "С уважением" not in ticket.description
    [attachment] = Attachment.objects.filter(ticket=ticket)
    assert (attachment.filename, attachment.content_type) == ("скриншот.png", "image/png")
    assert attachment.reply is None  # the request's own file; the worker test sees it read


def test_inline_cid_image_is_stored_like_an_upload(ingest):
    row = ingest("inline_cid_image.eml")
    [attachment] = Attachment.objects.filter(ticket=row.ticket)
    assert attachment.content_type == "image/png" and attachment.reply is None


def test_raw_message_is_kept_in_tenant_storage(ingest):
    row = ingest("html_only.eml")
    with default_storage.open(row.raw.name, "rb") as handle:
        assert handle.read() == corpus("html_only.eml")
    assert "<script>" in row.html and row.ticket.description.startswith("My password reset link has expired.")


@pytest.mark.parametrize("name", ["gmail_reply.eml", "outlook_reply.eml", "apple_mail_reply.eml"])
def test_replies_thread_by_message_id(ingest, name):
    first = ingest("gmail_new.eml")
    row = ingest(name)
    assert row.status == MailStatus.REPLY and row.ticket == first.ticket
    assert row.reply.body == parse_newest(name)
    assert Ticket.objects.count() == 1


def parse_newest(name: str) -> str:
    from mail.parsing import parse

    return parse(corpus(name)).newest


def test_russian_replies_thread_and_are_cut(ingest):
    first = ingest("ru_cp1251_screenshot.eml")
    koi = ingest("thunderbird_reply_koi8r.eml")
    html = ingest("gmail_reply_ru_html.eml")
    assert koi.ticket == html.ticket == first.ticket
    assert [r.body for r in Reply.objects.filter(ticket=first.ticket)] == [
        "Спасибо, после очистки кэша оплата прошла.",
        "Ошибка повторилась сегодня утром.",
    ]


def test_reply_to_a_pending_ticket_reopens_it_and_adds_new_cc(ingest, agent):
    first = ingest("gmail_new.eml")
    services.ticket_update(ticket=first.ticket, status=Status.PENDING, by=agent)
    ingest(build(subject="Re: x", body="More info", In_Reply_To="<CAF=qK8mV1x2yZ3@mail.gmail.com>", Cc="eve@x.example"))
    first.ticket.refresh_from_db()
    assert first.ticket.status == Status.OPEN
    assert set(first.ticket.cc.values_list("email", flat=True)) == {"carol@example.com", "eve@x.example"}


def test_reply_threads_by_the_signed_reply_address(ingest, make_ticket, contact):
    ticket = make_ticket()
    row = ingest(build(sender=contact.email, to=reply_address("support@acme.test", ticket.number), body="Ответ"))
    assert row.status == MailStatus.REPLY and row.ticket == ticket


def test_a_forged_reply_address_does_not_thread(ingest, make_ticket, contact):
    ticket = make_ticket()
    forged = f"support+{ticket.number}-0000000000000000@acme.test"
    row = ingest(build(sender=contact.email, to=forged, subject="Hi"))
    assert row.status == MailStatus.NEW_TICKET and row.ticket != ticket


def test_subject_number_from_someone_on_the_ticket_threads(ingest, make_ticket, contact):
    ticket = make_ticket()
    row = ingest(build(sender=contact.email, subject=f"Re: [#{ticket.number}] Printer on fire", body="Да, всё ещё"))
    assert row.status == MailStatus.REPLY and row.reply.body == "Да, всё ещё"


@pytest.mark.parametrize("sender", ["stranger@evil.example", "other@northwind.example"])
def test_subject_number_from_a_stranger_makes_a_flagged_ticket(ingest, make_ticket, sender):
    ticket = make_ticket()
    if sender.startswith("other"):
        services.contact_ensure(email=sender)  # a known contact, but not on this ticket
    row = ingest(build(sender=sender, subject=f"Re: [#{ticket.number}] Printer on fire", body="Add me"))
    assert row.status == MailStatus.NEW_TICKET and row.flagged
    assert row.ticket != ticket and not Reply.objects.filter(ticket=ticket).exists()
    assert UNVERIFIED_TAG in row.ticket.tags.values_list("name", flat=True)
    note = Reply.objects.get(ticket=row.ticket)
    assert f"#{ticket.number}" in note.body and note.kind == "internal_note"
    assert row.ticket.requester.is_unverified_claim == sender.startswith("other")


def test_in_a_russian_tenant_the_flagged_ticket_gets_a_russian_note(ingest, make_ticket, in_acme):
    ticket = make_ticket()
    in_acme.language = "ru"
    row = ingest(build(sender="chuzhoy@example.ru", subject=f"Re: [#{ticket.number}] Принтер", body="Добавьте меня"))
    note = Reply.objects.get(ticket=row.ticket)
    assert note.body == (
        f"В теме этого письма указана заявка #{ticket.number}, но его отправитель chuzhoy@example.ru "
        "не участвует в ней, поэтому письмо не добавлено к ней."
    )


def test_reply_to_a_closed_ticket_opens_a_new_one(ingest, agent):
    first = ingest("gmail_new.eml")
    services.ticket_update(ticket=first.ticket, status=Status.CLOSED, by=agent)
    row = ingest("gmail_reply.eml")
    assert row.status == MailStatus.NEW_TICKET and row.ticket != first.ticket


def test_same_message_twice_makes_one_ticket(ingest):
    assert ingest("gmail_new.eml") == ingest("gmail_new.eml")
    assert Ticket.objects.count() == 1 and MailMessage.objects.filter(direction="in").count() == 1


def test_message_without_message_id_is_known_by_its_content(ingest):
    first, again = ingest("malformed_headers.eml"), ingest("malformed_headers.eml")
    assert first == again and first.status == MailStatus.NEW_TICKET
    assert Ticket.objects.count() == 1


def test_unreadable_mail_is_listed_with_its_raw_file_and_can_become_a_ticket(ingest, agent):
    row = ingest("malformed_no_from.eml")
    assert row.status == MailStatus.FAILED and "no sender" in row.reason
    with default_storage.open(row.raw.name, "rb") as handle:
        assert handle.read() == corpus("malformed_no_from.eml")
    assert ingest("malformed_no_from.eml") == row  # listed once
    with pytest.raises(Exception, match="sender"):
        failed_to_ticket(message=row, by=agent)
    ticket = failed_to_ticket(message=row, by=agent, email="someone@example.net")
    assert ticket.requester.email == "someone@example.net" and "body without a proper structure" in ticket.description


def test_failed_mail_is_retried_once_its_mailbox_exists(in_acme, media_root):
    row = mail_ingest(raw=build(to="sales@acme.test"))
    assert row.status == MailStatus.FAILED and row.mailbox is None
    Mailbox.objects.create(name="Sales", address="sales@acme.test")
    again = failed_retry(message=row)
    assert again.status == MailStatus.NEW_TICKET and again.ticket is not None


def test_the_address_picks_the_mailbox(in_acme, media_root):
    Mailbox.objects.create(name="Support", address="support@acme.test")
    sales = Mailbox.objects.create(name="Sales", address="sales@acme.test")
    row = mail_ingest(raw=build(to="Sales <sales+de@acme.test>"))
    assert row.mailbox == sales and row.status == MailStatus.NEW_TICKET


@pytest.mark.parametrize("name", ["auto_reply_ooo.eml", "auto_reply_ru_bulk.eml"])
def test_auto_replies_are_stored_but_make_nothing_and_send_nothing(ingest, outbox, name):
    with outbox():
        first = ingest("gmail_new.eml")
    outbox_mail.outbox.clear()
    with outbox():
        row = ingest(name)
    assert row.status == MailStatus.AUTO_REPLY and row.reply is None
    assert Ticket.objects.count() == 1 and not Reply.objects.exists()
    assert outbox_mail.outbox == []
    if name == "auto_reply_ooo.eml":
        assert row.ticket == first.ticket


def test_bounce_marks_the_address_and_no_more_mail_goes_to_it(ingest, outbox, make_ticket, agent):
    gone = services.contact_ensure(email="gone@nowhere.example")
    ticket = make_ticket(requester=gone)
    row = ingest("dsn_bounce.eml")
    assert row.status == MailStatus.BOUNCE
    assert BouncedAddress.objects.filter(email="gone@nowhere.example").exists()
    outbox_mail.outbox.clear()
    with outbox():
        services.reply_add(ticket=ticket, body="Answer", by=agent)
    assert [m for m in outbox_mail.outbox if "gone@nowhere.example" in m.to] == []


def test_mail_from_our_own_address_is_ignored(ingest):
    row = ingest(build(sender="support@acme.test", subject="loop"))
    assert row.status == MailStatus.OWN and row.ticket is None and not Ticket.objects.exists()


def test_spam_is_stored_only(ingest):
    row = ingest("spam.eml")
    assert row.status == MailStatus.SPAM and not Ticket.objects.exists()


def test_a_sender_over_the_rate_limit_makes_no_more_tickets(ingest, settings):
    settings.MAIL_SENDER_RATE = "3/1h"
    rows = [ingest(build(subject=f"Flood {n}")) for n in range(5)]
    assert [r.status for r in rows] == [MailStatus.NEW_TICKET] * 3 + [MailStatus.RATE_LIMITED] * 2
    assert Ticket.objects.count() == 3


def test_a_refused_file_is_noted_and_the_ticket_still_made(ingest, settings):
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "bob@example.com", "support@acme.test", "Big log"
    message["Message-ID"] = make_msgid()
    message.set_content("Attached.")
    message.add_attachment(b"MZ" + b"\0" * 200, maintype="application", subtype="octet-stream", filename="tool.exe")
    # 25 MB, made here rather than kept in the repository.
    message.add_attachment(
        b"\x89PNG\r\n\x1a\n" + b"\x07" * (25 * 1024 * 1024), maintype="image", subtype="png", filename="huge.png"
    )
    row = ingest(message.as_bytes())
    assert row.status == MailStatus.NEW_TICKET and not Attachment.objects.filter(ticket=row.ticket).exists()
    assert "tool.exe" in row.reason and "huge.png" in row.reason


def test_agent_mail_reply_is_an_agent_reply(ingest, agent):
    first = ingest("gmail_new.eml")
    row = ingest(
        build(sender=agent.email, subject="Re: x", body="We are on it", In_Reply_To="<CAF=qK8mV1x2yZ3@mail.gmail.com>")
    )
    assert row.reply.author_user == agent and row.ticket == first.ticket
