"""Mailboxes of a tenant, every message that came in or went out, and addresses that bounce.

One set per tenant schema. A mailbox's password is stored encrypted (``helpdesk.crypto``, the
integrations' keys) and never rendered back. ``MailMessage`` is the ledger that makes
ingestion idempotent: its ``dedup_key`` (the Message-ID, or a hash of the bytes when there is none)
is unique, and the row commits in the same transaction as the ticket or reply it made.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from tickets.models import Reply, Ticket


class Security(models.TextChoices):
    SSL = "ssl", _("SSL/TLS")
    STARTTLS = "starttls", _("STARTTLS")
    NONE = "none", _("None (plain text)")


class Mailbox(models.Model):
    """A support address of the tenant, and (optionally) the IMAP account it is read from."""

    name = models.CharField(_("name"), max_length=100)
    address = models.EmailField(_("address"), unique=True, help_text=_("The support address customers write to."))
    from_name = models.CharField(_("sender name"), max_length=100, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    imap_host = models.CharField(_("IMAP host"), max_length=200, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_security = models.CharField(_("security"), max_length=10, choices=Security.choices, default=Security.SSL)
    imap_username = models.CharField(_("IMAP user"), max_length=200, blank=True)
    imap_password_encrypted = models.TextField(blank=True, editable=False, verbose_name=_("IMAP password (encrypted)"))
    imap_folder = models.CharField(_("folder to read"), max_length=200, default="INBOX")
    imap_processed_folder = models.CharField(
        _("folder for processed mail"),
        max_length=200,
        blank=True,
        help_text=_("Processed mail moves here; empty: it stays and is marked as read."),
    )
    last_poll_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("last poll"))
    last_poll_error = models.TextField(blank=True, editable=False, verbose_name=_("last poll error"))
    last_test_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("last test"))
    last_test_ok = models.BooleanField(null=True, editable=False, verbose_name=_("last test passed"))
    last_test_result = models.TextField(blank=True, editable=False, verbose_name=_("last test result"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["address"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"

    @property
    def has_password(self) -> bool:
        return bool(self.imap_password_encrypted)

    @property
    def polls(self) -> bool:
        return bool(self.enabled and self.imap_host and self.imap_username)


class Direction(models.TextChoices):
    IN = "in", _("Received")
    OUT = "out", _("Sent")


class MailStatus(models.TextChoices):
    NEW_TICKET = "ticket", _("New ticket")
    REPLY = "reply", _("Reply")
    AUTO_REPLY = "auto_reply", _("Auto-reply")
    BOUNCE = "bounce", _("Bounce")
    OWN = "own", _("From our own address")
    SPAM = "spam", _("Spam")
    RATE_LIMITED = "rate_limited", _("Sender over the rate limit")
    FAILED = "failed", _("Failed")
    SENT = "sent", _("Sent")


def raw_path(instance: MailMessage, filename: str) -> str:
    # TenantFileSystemStorage puts this under MEDIA_ROOT/<schema>/.
    return f"mail/raw/{filename}"


class MailMessage(models.Model):
    """One message in or out. In: what became of it (ticket, reply, ignored, failed), with the raw ``.eml``."""

    mailbox = models.ForeignKey(
        Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages", verbose_name=_("mailbox")
    )
    direction = models.CharField(
        max_length=3, choices=Direction.choices, default=Direction.IN, verbose_name=_("direction")
    )
    dedup_key = models.CharField(max_length=300, unique=True, verbose_name=_("deduplication key"))
    message_id = models.CharField(max_length=300, blank=True, db_index=True, verbose_name=_("Message-ID"))
    status = models.CharField(max_length=15, choices=MailStatus.choices, verbose_name=_("status"))
    reason = models.TextField(blank=True, verbose_name=_("reason"))
    sender = models.EmailField(blank=True, db_index=True, verbose_name=_("sender"))
    recipients = models.TextField(blank=True, verbose_name=_("recipients"))
    subject = models.CharField(max_length=300, blank=True, verbose_name=_("subject"))
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("ticket")
    )
    reply = models.ForeignKey(
        Reply, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("reply")
    )
    raw = models.FileField(upload_to=raw_path, max_length=300, blank=True, verbose_name=_("raw message"))
    text = models.TextField(
        blank=True, help_text=_("The whole message as text, quotes included."), verbose_name=_("text")
    )
    html = models.TextField(blank=True, verbose_name=_("HTML"))
    flagged = models.BooleanField(default=False, verbose_name=_("flagged"))
    received_at = models.DateTimeField(null=True, blank=True, verbose_name=_("received at"))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("mail message")
        verbose_name_plural = _("mail messages")
        indexes = [models.Index(fields=["ticket", "created_at"], name="mailmessage_ticket_created")]

    def __str__(self) -> str:
        return f"{self.get_direction_display()}: {self.subject or self.dedup_key}"


class BouncedAddress(models.Model):
    """An address whose mail bounced for good: nothing is sent to it until someone clears it."""

    email = models.EmailField(unique=True, verbose_name=_("email"))
    reason = models.TextField(blank=True, verbose_name=_("reason"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["email"]
        verbose_name = _("bouncing address")
        verbose_name_plural = _("bouncing addresses")

    def __str__(self) -> str:
        return self.email
