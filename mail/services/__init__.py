"""Every write of the mail app: ingesting messages, mailboxes and their polling, threading outgoing mail."""

from mail.services.ingest import failed_retry, failed_to_ticket, mail_ingest
from mail.services.mailboxes import mailbox_poll, mailbox_save, mailbox_test
from mail.services.outgoing import outgoing_thread

__all__ = [
    "failed_retry",
    "failed_to_ticket",
    "mail_ingest",
    "mailbox_poll",
    "mailbox_save",
    "mailbox_test",
    "outgoing_thread",
]
