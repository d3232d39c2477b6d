"""IMAP against a real Dovecot: test the connection, poll, move after commit, never twice, TLS and STARTTLS."""

from __future__ import annotations

from mail.models import Mailbox, MailMessage, MailStatus, Security
from mail.services import mail_ingest, mailbox_poll, mailbox_save, mailbox_test
from mail.tasks import poll_mailbox
from mail.tests.conftest import corpus, imap
from tickets.models import Reply, Ticket


def deliver(dovecot, *names: str, user: str = "support@acme.test") -> None:
    with imap(dovecot, user) as client:
        for name in names:
            client.append(corpus(name), "INBOX")


def folder_count(dovecot, folder: str, user: str = "support@acme.test") -> int:
    with imap(dovecot, user) as client:
        if not client.folder.exists(folder):
            return 0
        client.folder.set(folder)
        return len(client.uids("ALL"))


def test_test_connection_reports_what_it_found(imap_mailbox, dovecot):
    deliver(dovecot, "gmail_new.eml", "spam.eml")
    ok, result = mailbox_test(mailbox=imap_mailbox)
    assert ok and result == (
        "Signed in; “INBOX” holds 2 messages. The folder “Processed” will be created for processed mail."
    )
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.last_test_ok and imap_mailbox.last_test_result == result


def test_test_connection_in_russian(imap_mailbox, dovecot):
    from django.utils import translation

    deliver(dovecot, "gmail_new.eml")
    with translation.override("ru"):
        ok, result = mailbox_test(mailbox=imap_mailbox)
    assert ok and result.startswith("Вход выполнен; в папке «INBOX» 1 письмо.")


def test_test_connection_says_why_it_failed(imap_mailbox, dovecot):
    mailbox_save(mailbox=imap_mailbox, password="wrong")
    assert mailbox_test(mailbox=imap_mailbox) == (False, "The server refused the user name or password.")
    mailbox_save(mailbox=imap_mailbox, password=dovecot.users["support@acme.test"])
    imap_mailbox.imap_folder = "Входящие-нет"
    ok, result = mailbox_test(mailbox=imap_mailbox)
    assert not ok and result.startswith("Signed in, but there is no folder “Входящие-нет”")


def test_an_untrusted_certificate_is_refused(imap_mailbox, settings):
    settings.MAIL_IMAP_CA_FILE = ""
    ok, result = mailbox_test(mailbox=imap_mailbox)
    assert not ok and "certificate" in result


def test_implicit_tls_works_too(imap_mailbox, dovecot):
    imap_mailbox.imap_security, imap_mailbox.imap_port = Security.SSL, dovecot.tls_port
    assert mailbox_test(mailbox=imap_mailbox)[0]


def test_password_is_stored_encrypted(imap_mailbox, dovecot):
    stored = Mailbox.objects.get(pk=imap_mailbox.pk).imap_password_encrypted
    assert stored and dovecot.users["support@acme.test"] not in stored


def test_poll_makes_tickets_and_replies_and_moves_what_it_took(imap_mailbox, dovecot):
    deliver(dovecot, "gmail_new.eml", "gmail_reply.eml", "auto_reply_ooo.eml", "malformed_no_from.eml")
    result = mailbox_poll(mailbox=imap_mailbox)
    assert (result.fetched, result.error) == (4, "")
    assert folder_count(dovecot, "INBOX") == 0 and folder_count(dovecot, "Processed") == 4
    ticket = Ticket.objects.get()
    assert [r.body for r in Reply.objects.filter(ticket=ticket)] == ["It happens with Visa only, Mastercard works."]
    statuses = sorted(MailMessage.objects.filter(direction="in").values_list("status", flat=True))
    assert statuses == sorted([MailStatus.NEW_TICKET, MailStatus.REPLY, MailStatus.AUTO_REPLY, MailStatus.FAILED])
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.last_poll_at is not None and imap_mailbox.last_poll_error == ""
    assert mailbox_poll(mailbox=imap_mailbox).fetched == 0


def test_a_message_committed_before_a_crash_is_not_taken_twice(imap_mailbox, dovecot):
    """The worker died after the ticket committed and before the move: the next poll only moves it."""
    deliver(dovecot, "ru_cp1251_screenshot.eml")
    mail_ingest(raw=corpus("ru_cp1251_screenshot.eml"), mailbox=imap_mailbox)
    assert folder_count(dovecot, "INBOX") == 1
    assert poll_mailbox(mailbox_id=imap_mailbox.pk) == 1
    assert Ticket.objects.count() == 1 and Ticket.objects.get().subject == "Ошибка оплаты"
    assert folder_count(dovecot, "INBOX") == 0


def test_without_a_processed_folder_mail_is_marked_read(imap_mailbox, dovecot):
    imap_mailbox.imap_processed_folder = ""
    imap_mailbox.save()
    deliver(dovecot, "thunderbird_reply_koi8r.eml")
    assert mailbox_poll(mailbox=imap_mailbox).fetched == 1
    assert mailbox_poll(mailbox=imap_mailbox).fetched == 0  # read mail is not taken again
    assert folder_count(dovecot, "INBOX") == 1 and Ticket.objects.get().subject == "Ошибка оплаты"


def test_a_failed_poll_is_recorded_on_the_mailbox(imap_mailbox):
    mailbox_save(mailbox=imap_mailbox, password="wrong")
    result = mailbox_poll(mailbox=imap_mailbox)
    imap_mailbox.refresh_from_db()
    assert result.error == imap_mailbox.last_poll_error == "The server refused the user name or password."
