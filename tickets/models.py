"""Tickets, their thread, audit trail and SLA policies (one set per tenant schema)."""

from __future__ import annotations

from pathlib import PurePath

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

# Created in the first migration; every tenant schema has its own, so numbers are per tenant.
NUMBER_SEQUENCE = "tickets_ticket_number"
SEARCH_CONFIG = "english"


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")
    ON_HOLD = "on_hold", _("On hold")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


UNRESOLVED = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


PRIORITY_RANK = {Priority.LOW: 1, Priority.NORMAL: 2, Priority.HIGH: 3, Priority.URGENT: 4}


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    PORTAL = "portal", _("Portal")
    API = "api", _("API")
    CHAT = "chat", _("Chat")
    EMAIL = "email", _("Email")


class Contact(models.Model):
    """A customer who asks for help; identified by email within the tenant.

    A public request (portal, widget) that names the address of an existing contact is
    not attached to that contact at once: it gets an *unverified claim*, a contact row
    with ``claim_of`` set, until someone confirms the address from a link sent to it.
    """

    email = models.EmailField(_("email"))
    name = models.CharField(_("name"), max_length=200, blank=True)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    # The language e-mails to them are written in (a code of LANGUAGES), remembered from their first
    # message or portal visit; empty: the tenant's default.
    language = models.CharField(_("language"), max_length=10, blank=True, choices=settings.LANGUAGES)
    claim_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="claims",
        help_text=_("Set while this is an unconfirmed claim to the address of that contact."),
        verbose_name=_("claim of"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(
                fields=["email"], condition=models.Q(claim_of__isnull=True), name="contact_email_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email

    @property
    def is_unverified_claim(self) -> bool:
        return self.claim_of_id is not None


class Tag(models.Model):
    name = models.SlugField(max_length=50, unique=True, allow_unicode=True, verbose_name=_("name"))

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SLAPolicy(models.Model):
    """Targets for one priority: minutes to the first public reply and to a solution."""

    priority = models.CharField(max_length=10, choices=Priority.choices, unique=True, verbose_name=_("priority"))
    first_response_minutes = models.PositiveIntegerField(verbose_name=_("first response, minutes"))
    resolution_minutes = models.PositiveIntegerField(verbose_name=_("resolution, minutes"))

    class Meta:
        ordering = ["priority"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return f"{self.get_priority_display()}: {self.first_response_minutes} min / {self.resolution_minutes} min"


class Ticket(models.Model):
    number = models.PositiveIntegerField(unique=True, editable=False, verbose_name=_("number"))
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.NEW)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB)
    requester = models.ForeignKey(
        Contact, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("requester")
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
        verbose_name=_("assignee"),
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets", verbose_name=_("tags"))
    category = models.CharField(_("category"), max_length=100, blank=True)
    first_response_due_at = models.DateTimeField(null=True, blank=True, verbose_name=_("first response due"))
    resolution_due_at = models.DateTimeField(null=True, blank=True, verbose_name=_("resolution due"))
    first_response_breached_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("first response overdue since")
    )
    resolution_breached_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("resolution overdue since")
    )
    first_response_at = models.DateTimeField(null=True, blank=True, verbose_name=_("first response at"))
    solved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("solved at"))
    csat_rating = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name=_("satisfaction rating"))
    csat_comment = models.TextField(blank=True, verbose_name=_("rating comment"))
    csat_at = models.DateTimeField(null=True, blank=True, verbose_name=_("rated at"))
    # Agents who get an e-mail for every change, and customers copied on public replies.
    followers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="followed_tickets", verbose_name=_("followers")
    )
    cc = models.ManyToManyField(Contact, blank=True, related_name="cc_tickets", verbose_name=_("CC"))
    # Set when this ticket was a duplicate merged into another one (it is closed then).
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_tickets",
        editable=False,
        verbose_name=_("merged into"),
    )

    # Customer status links carry this number; raising it revokes every link issued before.
    portal_link_version = models.PositiveIntegerField(default=0, editable=False, verbose_name=_("portal link version"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    # Text read from the ticket's attachments (screenshot OCR), kept by their readers for full-text search.
    attachment_text = models.TextField(blank=True, editable=False, verbose_name=_("attachments' text"))
    search_vector = models.GeneratedField(
        expression=SearchVector("subject", weight="A", config=SEARCH_CONFIG)
        + SearchVector("description", weight="B", config=SEARCH_CONFIG)
        + SearchVector("attachment_text", weight="C", config=SEARCH_CONFIG),
        output_field=SearchVectorField(),
        db_persist=True,
        verbose_name=_("search vector"),
    )

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at"]
        indexes = [
            GinIndex(fields=["search_vector"], name="ticket_search_gin"),
            models.Index(fields=["-created_at"], name="ticket_created"),
            models.Index(fields=["-updated_at"], name="ticket_updated"),
            models.Index(fields=["status", "-created_at"], name="ticket_status_created"),
            models.Index(fields=["assignee", "status", "-created_at"], name="ticket_assignee_status"),
            models.Index(fields=["priority", "-created_at"], name="ticket_priority_created"),
            models.Index(fields=["resolution_due_at"], name="ticket_resolution_due"),
            models.Index(fields=["solved_at"], name="ticket_solved"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(csat_rating__isnull=True) | models.Q(csat_rating__range=(1, 5)),
                name="ticket_csat_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.subject}"

    @property
    def reference(self) -> str:
        return f"#{self.number}"

    @property
    def is_resolved(self) -> bool:
        return self.status not in UNRESOLVED

    @property
    def first_response_overdue(self) -> bool:
        due = self.first_response_due_at
        return bool(due and self.first_response_at is None and not self.is_resolved and due < timezone.now())

    @property
    def resolution_overdue(self) -> bool:
        due = self.resolution_due_at
        return bool(due and not self.is_resolved and due < timezone.now())


class ReplyKind(models.TextChoices):
    PUBLIC = "public", _("Public reply")
    INTERNAL_NOTE = "internal_note", _("Internal note")
    AI_DRAFT = "ai_draft", _("AI draft")


class Reply(models.Model):
    """One message of a ticket's thread, written by an agent, the requester or an assistant."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="replies", verbose_name=_("ticket"))
    kind = models.CharField(max_length=15, choices=ReplyKind.choices, default=ReplyKind.PUBLIC, verbose_name=_("kind"))
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ticket_replies",
        verbose_name=_("author (user)"),
    )
    author_contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("author (customer)")
    )
    # Name of an assistant or an API client when neither a user nor a contact wrote it.
    author_name = models.CharField(max_length=200, blank=True, verbose_name=_("author's name"))
    body = models.TextField(verbose_name=_("body"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        indexes = [models.Index(fields=["ticket", "created_at"], name="reply_ticket_created")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on #{self.ticket.number}"

    @property
    def author_display(self) -> str:
        if self.author_user is not None:
            return str(self.author_user)
        if self.author_contact is not None:
            return str(self.author_contact.name or self.author_contact.email)
        return self.author_name or "Unknown"

    @property
    def is_from_customer(self) -> bool:
        return self.author_contact_id is not None


# The most bytes of a stored file's name: file systems take 255 (a Cyrillic letter is two), and storage may add
# "_" and 7 characters to make a name unique.
STORED_NAME_BYTES = 200


def stored_name(filename: str, limit: int = STORED_NAME_BYTES) -> str:
    """``filename`` cut to ``limit`` bytes of UTF-8 at a character boundary, its extension kept."""
    suffix = PurePath(filename).suffix
    suffix = suffix if len(suffix.encode()) <= 20 else ""
    stem = filename[: len(filename) - len(suffix)] if suffix else filename
    stem = stem.encode()[: limit - len(suffix.encode())].decode("utf-8", "ignore")
    return f"{stem}{suffix}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # TenantFileSystemStorage puts this under MEDIA_ROOT/<schema>/. The name as sent stays in `filename`.
    return f"tickets/{instance.ticket.number}/{stored_name(filename)}"


class Attachment(models.Model):
    """A file of a ticket: of one reply, or (``reply`` empty) of the request itself."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("ticket"))
    reply = models.ForeignKey(
        Reply, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("reply")
    )
    file = models.FileField(upload_to=attachment_path, max_length=300, verbose_name=_("file"))
    filename = models.CharField(max_length=200, verbose_name=_("file name"))
    content_type = models.CharField(max_length=100, verbose_name=_("content type"))
    size = models.PositiveBigIntegerField(verbose_name=_("size"))
    # When the file was stored: the tenant's daily upload allowance sums the sizes of the last 24 hours.
    created_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]
        indexes = [models.Index(fields=["created_at"], name="attachment_created")]

    def __str__(self) -> str:
        return self.filename


class Macro(models.Model):
    """A canned reply of the tenant: text with placeholders, and optional actions when it is sent."""

    name = models.CharField(max_length=100, unique=True, verbose_name=_("name"))
    body = models.TextField(
        help_text=_(
            "Placeholders: {customer_name}, {customer_email}, {ticket_number}, {ticket_subject}, {agent_name}."
        ),
        verbose_name=_("body"),
    )
    set_status = models.CharField(
        max_length=10,
        choices=Status.choices,
        blank=True,
        help_text=_("Status the ticket gets when this reply is sent."),
        verbose_name=_("status to set"),
    )
    add_tags = models.CharField(
        max_length=300,
        blank=True,
        help_text=_("Comma-separated tags added when it is sent."),
        verbose_name=_("tags to add"),
    )
    is_active = models.BooleanField(default=True, verbose_name=_("active"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")

    def __str__(self) -> str:
        return self.name


class TicketEvent(models.Model):
    """Audit row: who changed which field of a ticket from what to what, and when.

    Rows outlive their ticket: deleting a ticket leaves its trail (``ticket`` becomes null,
    ``ticket_number`` stays) with a last row saying who deleted it.
    """

    ticket = models.ForeignKey(
        Ticket, null=True, on_delete=models.SET_NULL, related_name="events", verbose_name=_("ticket")
    )
    ticket_number = models.PositiveIntegerField(
        null=True, db_index=True, editable=False, verbose_name=_("ticket number")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("actor")
    )
    actor_name = models.CharField(max_length=200, blank=True, verbose_name=_("actor's name"))
    field = models.CharField(max_length=50, verbose_name=_("field"))
    old_value = models.TextField(blank=True, verbose_name=_("old value"))
    new_value = models.TextField(blank=True, verbose_name=_("new value"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="event_ticket_created")]

    def __str__(self) -> str:
        return f"#{self.ticket_number} {self.field}: {self.old_value} → {self.new_value}"

    @property
    def actor_display(self) -> str:
        return str(self.actor) if self.actor is not None else (self.actor_name or pgettext("audit trail", "System"))
