"""An SMTP or LMTP listener for self-hosters whose MTA forwards mail to the helpdesk (aiosmtpd).

It accepts a recipient only when it is the address of an enabled mailbox of some tenant (a ``+tag`` is
ignored), refuses messages over ``MAIL_LISTENER_MAX_BYTES`` (552), and answers 250 only after the
message's ticket or reply has committed: a 4xx makes the MTA keep the message and try again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.conf import settings
from django.db import close_old_connections
from django_tenants.utils import schema_context

from helpdesk.tenants.selectors import tenant_list
from mail.conversation import base_address
from mail.models import Mailbox
from mail.services import mail_ingest

logger = logging.getLogger(__name__)
DIRECTORY_SECONDS = 30


class MailHandler:
    """aiosmtpd handler: RCPT checks the address directory, DATA ingests once per tenant named."""

    def __init__(self) -> None:
        self._directory: dict[str, str] = {}
        self._loaded = 0.0

    def directory(self) -> dict[str, str]:
        """Every enabled mailbox address → its tenant's schema, read again every DIRECTORY_SECONDS."""
        if time.monotonic() - self._loaded > DIRECTORY_SECONDS:
            close_old_connections()
            found = {}
            for tenant in tenant_list():
                with schema_context(tenant.schema_name):
                    for address in Mailbox.objects.filter(enabled=True).values_list("address", flat=True):
                        found[base_address(address)] = tenant.schema_name
            self._directory, self._loaded = found, time.monotonic()
        return self._directory

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        directory = await asyncio.to_thread(self.directory)
        if base_address(address) not in directory:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def _ingest(self, raw: bytes, recipients: list[str]) -> None:
        close_old_connections()
        directory = self.directory()
        for schema in dict.fromkeys(directory[base_address(r)] for r in recipients if base_address(r) in directory):
            with schema_context(schema):
                mail_ingest(raw=_with_delivered_to(raw, recipients))

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        # aiosmtpd's LMTP answers once for all recipients: a message is stored for all of them or for none.
        content = envelope.original_content or envelope.content or b""
        raw = content.encode("utf-8", errors="surrogateescape") if isinstance(content, str) else bytes(content)
        try:
            await asyncio.to_thread(self._ingest, raw, list(envelope.rcpt_tos))
        except Exception:
            logger.exception("listener could not store a message")
            return "451 4.3.0 Try again later"
        return "250 2.0.0 Message accepted"


def _with_delivered_to(raw: bytes, recipients: list[str]) -> bytes:
    """The envelope recipients as Delivered-To lines, so a Bcc'd mailbox is still found."""
    lines = b"".join(f"Delivered-To: {r}\r\n".encode() for r in recipients if r.isascii())
    return lines + raw


def server_factory(handler: MailHandler) -> Any:
    """The protocol of ``MAIL_LISTENER_PROTOCOL`` with the size limit, for aiosmtpd's Controller."""
    protocol = LMTP if settings.MAIL_LISTENER_PROTOCOL == "lmtp" else SMTP

    def factory() -> SMTP:
        return protocol(
            handler,
            data_size_limit=settings.MAIL_LISTENER_MAX_BYTES,
            hostname=settings.MAIL_LISTENER_HOSTNAME or None,
            enable_SMTPUTF8=True,
        )

    return factory
