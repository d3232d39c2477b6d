"""Mailboxes: save (the password encrypted, never shown again), test the IMAP connection, poll it.

Polling reads each message's bytes without marking it (``BODY.PEEK[]``), ingests it, and only then
moves it to the processed folder (or flags it as read): a worker killed in between leaves the message
in the folder, and the next poll finds its ledger row and makes no second ticket.
"""

from __future__ import annotations

import imaplib
import logging
import socket
import ssl
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from imap_tools import BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessageFlags
from imap_tools.errors import MailboxFolderSelectError, MailboxLoginError

from helpdesk import crypto
from mail.models import Mailbox, Security
from mail.services.ingest import mail_ingest

logger = logging.getLogger(__name__)
NO_PASSWORD = object()


@dataclass(frozen=True)
class PollResult:
    fetched: int = 0
    error: str = ""


def mailbox_save(*, mailbox: Mailbox, password: str | object = NO_PASSWORD) -> Mailbox:
    """Save ``mailbox``; a given ``password`` replaces the stored one (empty keeps it)."""
    mailbox.address = mailbox.address.strip().lower()
    if isinstance(password, str) and password:
        mailbox.imap_password_encrypted = crypto.encrypt(password)
    mailbox.full_clean()
    mailbox.save()
    return mailbox


def _ssl_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=settings.MAIL_IMAP_CA_FILE or None)


def _connect(box: Mailbox) -> BaseMailBox:
    timeout = settings.MAIL_IMAP_TIMEOUT_SECONDS
    client: BaseMailBox
    if box.imap_security == Security.SSL:
        client = MailBox(box.imap_host, box.imap_port, timeout=timeout, ssl_context=_ssl_context())
    elif box.imap_security == Security.STARTTLS:
        client = MailBoxStartTls(box.imap_host, box.imap_port, timeout=timeout, ssl_context=_ssl_context())
    else:
        client = MailBoxUnencrypted(box.imap_host, box.imap_port, timeout=timeout)
    client.login(box.imap_username, crypto.decrypt(box.imap_password_encrypted), initial_folder=None)
    return client


def describe(exc: BaseException) -> str:
    """A short cause of a failed connection, for the mailbox page (no tracebacks)."""
    if isinstance(exc, MailboxLoginError):
        return _("The server refused the user name or password.")
    if isinstance(exc, MailboxFolderSelectError):
        return _("The folder does not exist on the server.")
    if isinstance(exc, socket.gaierror):
        return _("The host name could not be resolved.")
    if isinstance(exc, ConnectionRefusedError):
        return _("The connection was refused (nothing answers at that address and port).")
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return _("The secure connection failed (TLS handshake or certificate problem).")
    if isinstance(exc, TimeoutError):
        return _("The server did not answer in time.")
    if isinstance(exc, imaplib.IMAP4.error):
        return _("The server answered with an error: %(error)s") % {"error": str(exc)[:200]}
    return _("The connection failed: %(error)s") % {"error": exc.__class__.__name__}


_ERRORS = (OSError, imaplib.IMAP4.error, MailboxLoginError, MailboxFolderSelectError, ssl.SSLError)


def mailbox_test(*, mailbox: Mailbox) -> tuple[bool, str]:
    """Log in and look at the folders: what was found (messages waiting, the processed folder), or why not."""
    try:
        with _connect(mailbox) as client:
            folders = {f.name for f in client.folder.list()}
            if mailbox.imap_folder not in folders:
                ok, result = (
                    False,
                    _("Signed in, but there is no folder “%(folder)s” (found: %(found)s).")
                    % {
                        "folder": mailbox.imap_folder,
                        "found": ", ".join(sorted(folders))[:300],
                    },
                )
            else:
                client.folder.set(mailbox.imap_folder, readonly=True)
                waiting = len(client.uids("ALL"))
                ok, result = (
                    True,
                    ngettext(
                        "Signed in; “%(folder)s” holds %(count)d message.",
                        "Signed in; “%(folder)s” holds %(count)d messages.",
                        waiting,
                    )
                    % {
                        "folder": mailbox.imap_folder,
                        "count": waiting,
                    },
                )
                processed = mailbox.imap_processed_folder
                if processed and processed not in folders:
                    result += " " + _("The folder “%(folder)s” will be created for processed mail.") % {
                        "folder": processed
                    }
    except _ERRORS as exc:
        ok, result = False, describe(exc)
    Mailbox.objects.filter(pk=mailbox.pk).update(last_test_at=timezone.now(), last_test_ok=ok, last_test_result=result)
    return ok, result


def mailbox_poll(*, mailbox: Mailbox) -> PollResult:
    """Ingest what waits in the mailbox's folder (up to ``MAIL_POLL_BATCH``), then move or flag each message."""
    if not mailbox.polls:
        raise ValidationError(_("This mailbox is not read over IMAP."))
    fetched = 0
    error = ""
    try:
        with _connect(mailbox) as client:
            processed = mailbox.imap_processed_folder
            if processed and not client.folder.exists(processed):
                client.folder.create(processed)
            client.folder.set(mailbox.imap_folder)
            uids = client.uids("ALL" if processed else "UNSEEN")
            for uid in uids[: settings.MAIL_POLL_BATCH]:
                status, data = client.client.uid("FETCH", uid, "(BODY.PEEK[])")
                if status != "OK" or not data or not isinstance(data[0], tuple):
                    continue
                mail_ingest(raw=bytes(data[0][1]), mailbox=mailbox)  # committed when it returns
                if processed:
                    client.move(uid, processed)
                else:
                    client.flag(uid, MailMessageFlags.SEEN, True)
                fetched += 1
    except _ERRORS as exc:
        error = describe(exc)
        logger.warning("mailbox poll failed", extra={"mailbox": mailbox.pk, "error": error})
    with transaction.atomic():
        Mailbox.objects.filter(pk=mailbox.pk).update(last_poll_at=timezone.now(), last_poll_error=error)
    return PollResult(fetched=fetched, error=error)
