"""Outgoing e-mail: queued on commit, sent by a worker, retried on transient failures.

Services call ``email_queue``; nothing sends mail inside a request. The backend comes
from the settings (SMTP with ``EMAIL_HOST``, else files under ``VAR_DIR/mail``).
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from helpdesk.celery import app, send_on_commit
from helpdesk.tenants.db import connection

logger = logging.getLogger(__name__)
# Who may not get mail (an address that bounces); registered by a higher app, asked by the worker before sending.
_recipient_filters: list[Callable[[list[str]], list[str]]] = []


def recipient_filter_register(fn: Callable[[list[str]], list[str]]) -> None:
    """``fn(addresses)`` returns the addresses that may still get mail; registering it again is a no-op."""
    if fn not in _recipient_filters:
        _recipient_filters.append(fn)


def recipients_allowed(addresses: list[str]) -> list[str]:
    for fn in _recipient_filters:
        addresses = fn(addresses)
    return addresses


def site_url(path: str) -> str:
    """An absolute link on the current tenant's primary host (``SITE_URL`` holds ``{domain}``), for e-mails."""
    tenant = getattr(connection, "tenant", None)
    domain = ""
    if tenant is not None and hasattr(tenant, "get_primary_domain"):
        primary = tenant.get_primary_domain()
        domain = primary.domain if primary else ""
    return str(settings.SITE_URL).format(domain=domain or "localhost").rstrip("/") + path


def tenant_headers() -> dict[str, str]:
    """Marks a message with its tenant (the DEBUG mail viewer shows each tenant its own)."""
    return {"X-Helpdesk-Tenant": str(connection.schema_name)}


def email_queue(
    *,
    to: Sequence[str],
    subject: str,
    body: str,
    html: str | None = None,
    reply_to: Sequence[str] = (),
    headers: dict[str, str] | None = None,
    from_email: str = "",
) -> None:
    """Send a message once the current transaction commits (immediately outside one).

    While the broker is down the request still succeeds: the message is kept in the database and
    beat sends it once the broker is back (``helpdesk.tenants.services.unsent_tasks_send``).
    """
    recipients = [address for address in to if address]
    if not recipients:
        return
    kwargs: dict[str, Any] = {"to": recipients, "subject": subject, "body": body, "html": html}
    kwargs["reply_to"] = list(reply_to)
    if headers:
        kwargs["headers"] = dict(headers)
    if from_email:
        kwargs["from_email"] = from_email
    # A broker outage must not fail the request that caused the mail (the ticket is saved), nor lose the mail.
    send_on_commit(send_email, keep=True, **kwargs)


@app.task(
    name="helpdesk.send_email",
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
)
def send_email(
    *,
    to: list[str],
    subject: str,
    body: str,
    html: str | None = None,
    reply_to: Sequence[str] = (),
    headers: dict[str, str] | None = None,
    from_email: str = "",
) -> int:
    """Deliver one message through the configured backend; returns the number sent (0 or 1).

    Addresses a recipient filter refuses (one that bounces) are left out; with none left, nothing is sent.
    """
    to = recipients_allowed(list(to))
    if not to:
        logger.info("mail not sent: no recipient may get it", extra={"subject": subject[:80]})
        return 0
    message = EmailMultiAlternatives(
        subject=subject,
        body=body,
        to=to,
        from_email=from_email or None,
        reply_to=list(reply_to) or None,
        headers=headers or None,
    )
    if html:
        message.attach_alternative(html, "text/html")
    sent = message.send()
    logger.info("mail sent", extra={"to_count": len(to), "subject": subject[:80]})
    return sent
