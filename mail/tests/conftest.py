"""Fixtures of the mail tests: the acme tenant's support mailbox, the MIME corpus, mail run in place."""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from imap_tools import MailBox

from mail.models import Mailbox, MailMessage, Security
from mail.services import mail_ingest, mailbox_save
from mail.tests import dovecot as dovecot_server
from tickets.tests.conftest import contact, in_acme, make_ticket, media_root, outbox  # noqa: F401 - fixtures shared with tickets

CORPUS = Path(__file__).resolve().parent / "corpus"
CATALOGUE = Path(__file__).resolve().parent.parent / "locale" / "ru" / "LC_MESSAGES" / "django.po"


def pytest_configure(config: pytest.Config) -> None:
    """The Russian catalogue is committed as .po only: compile it (msgfmt) when the .mo is missing or older."""
    compiled = CATALOGUE.with_suffix(".mo")
    if not compiled.exists() or compiled.stat().st_mtime < CATALOGUE.stat().st_mtime:
        subprocess.run(["msgfmt", "--check", "-o", str(compiled), str(CATALOGUE)], check=True)


def corpus(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


@pytest.fixture
def mailbox(in_acme, media_root) -> Mailbox:  # noqa: F811 - the fixtures imported above
    return mailbox_save(mailbox=Mailbox(name="Support", address="support@acme.test", from_name="Acme Support"))


@pytest.fixture
def ingest(mailbox) -> Callable[..., MailMessage]:
    def run(name_or_raw: str | bytes) -> MailMessage:
        raw = corpus(name_or_raw) if isinstance(name_or_raw, str) else name_or_raw
        return mail_ingest(raw=raw, mailbox=mailbox)

    return run


@pytest.fixture(scope="session")
def dovecot(tmp_path_factory) -> Iterator[dovecot_server.Dovecot]:
    """A real Dovecot IMAP server with the users support@acme.test and ru@acme.test, for the whole session."""
    base = Path(settings.VAR_DIR) / f"dovecot-test-{os.getpid()}"
    process, server = dovecot_server.start(base, {"support@acme.test": "s3cret-imap", "ru@acme.test": "parol-imap"})
    yield server
    dovecot_server.stop(process)
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def imap_mailbox(in_acme, media_root, dovecot, settings) -> Mailbox:  # noqa: F811 - the fixtures imported above
    """The acme support mailbox read from the Dovecot INBOX over STARTTLS (its certificate trusted), emptied first."""
    settings.MAIL_IMAP_CA_FILE = dovecot.ca_file
    box = Mailbox(
        name="Support",
        address="support@acme.test",
        imap_host=dovecot.host,
        imap_port=dovecot.port,
        imap_security=Security.STARTTLS,
        imap_username="support@acme.test",
        imap_processed_folder="Processed",
    )
    box = mailbox_save(mailbox=box, password=dovecot.users["support@acme.test"])
    with imap(dovecot, "support@acme.test") as client:
        for folder in ("INBOX", "Processed"):
            if client.folder.exists(folder):
                client.folder.set(folder)
                client.delete(client.uids("ALL"))
    return box


def imap(server: dovecot_server.Dovecot, user: str) -> MailBox:
    """A client of the test server over TLS, as a customer's or the provider's side would be."""
    context = ssl.create_default_context(cafile=server.ca_file)
    return MailBox(server.host, server.tls_port, ssl_context=context).login(user, server.users[user])
