"""Fixtures of the mail tests: the acme tenant's support mailbox, the MIME corpus, mail run in place."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from mail.models import Mailbox, MailMessage
from mail.services import mail_ingest, mailbox_save
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
