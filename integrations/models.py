"""Connections to Jira and Zendesk, the outbox of escalations, links, sync log and outgoing webhooks.

One set per tenant schema. Secrets are stored encrypted (``helpdesk.crypto``) and never
rendered back; work that talks to another system is an outbox row that a worker claims with a
conditional update, so a crash between the remote call and the commit is retried, not lost.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from integrations.registry import system_choices
from tickets.models import Reply, Status, Ticket


def instance_of(base_url: str) -> str:
    """The tracker site an address names (scheme, host and path, lower-cased host, no trailing slash).

    Keys such as ``HD-1`` repeat from one Jira site to the next, so a link is known by its site and key.
    """
    parts = urlsplit(base_url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


class Connection(models.Model):
    """A tenant's connection to one tracker: where, as whom, into which project, mapped how."""

    system = models.CharField(max_length=10, choices=system_choices, unique=True, verbose_name=_("system"))
    enabled = models.BooleanField(default=True, verbose_name=_("enabled"))
    base_url = models.URLField(
        max_length=300,
        help_text=_("e.g. https://acme.atlassian.net or https://acme.zendesk.com"),
        verbose_name=_("base URL"),
    )
    username = models.CharField(
        max_length=200, help_text=_("The account's email address."), verbose_name=_("user name")
    )
    token_encrypted = models.TextField(blank=True, editable=False, verbose_name=_("token (encrypted)"))
    webhook_secret_encrypted = models.TextField(
        blank=True, editable=False, verbose_name=_("webhook secret (encrypted)")
    )
    project_key = models.CharField(
        max_length=50, blank=True, help_text=_("Jira project key, e.g. SUP."), verbose_name=_("project key")
    )
    issue_type = models.CharField(
        max_length=50, blank=True, default="Task", help_text=_("Jira issue type."), verbose_name=_("issue type")
    )
    group_id = models.BigIntegerField(
        null=True, blank=True, help_text=_("Zendesk group that receives tickets."), verbose_name=_("group ID")
    )
    priority_map = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("Our priority → the tracker's priority name."),
        verbose_name=_("priority map"),
    )
    send_tags = models.BooleanField(
        default=True, help_text=_("Send the ticket's tags as labels / tags."), verbose_name=_("send tags")
    )
    category_field = models.CharField(
        max_length=100,
        blank=True,
        help_text=_(
            "Where the category goes: empty (not sent), 'label', or a custom field id (customfield_10010 / 360001)."
        ),
        verbose_name=_("category field"),
    )
    resolved_status = models.CharField(
        max_length=10,
        choices=Status.choices,
        default=Status.SOLVED,
        help_text=_("Ticket status once the linked issue is resolved."),
        verbose_name=_("resolved status"),
    )
    server_info = models.JSONField(default=dict, blank=True, editable=False, verbose_name=_("server information"))
    last_success_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("last success"))
    last_failure_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("last failure"))
    last_error = models.TextField(blank=True, editable=False, verbose_name=_("last error"))
    last_test_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("last test"))
    last_test_result = models.TextField(blank=True, editable=False, verbose_name=_("last test result"))
    last_test_ok = models.BooleanField(null=True, editable=False, verbose_name=_("last test passed"))
    last_pull_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("last pull"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("connection")
        verbose_name_plural = _("connections")
        ordering = ["system"]

    def __str__(self) -> str:
        return f"{self.get_system_display()} at {self.base_url}"

    @property
    def instance(self) -> str:
        return instance_of(self.base_url)

    @property
    def has_token(self) -> bool:
        return bool(self.token_encrypted)

    @property
    def has_webhook_secret(self) -> bool:
        return bool(self.webhook_secret_encrypted)

    @property
    def healthy(self) -> bool | None:
        """None before any call; else whether the last call succeeded."""
        if self.last_success_at is None and self.last_failure_at is None:
            return None
        if self.last_failure_at is None:
            return True
        return self.last_success_at is not None and self.last_success_at > self.last_failure_at


class WorkStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class WorkItem(models.Model):
    """What the outbox and the outgoing webhook deliveries share: claimed, retried, finished."""

    status = models.CharField(
        max_length=10, choices=WorkStatus.choices, default=WorkStatus.PENDING, verbose_name=_("status")
    )
    attempts = models.PositiveIntegerField(default=0, verbose_name=_("attempts"))
    next_attempt_at = models.DateTimeField(default=timezone.now, verbose_name=_("next attempt"))
    claimed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("claimed at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))
    last_error = models.TextField(blank=True, verbose_name=_("last error"))
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name=_("last status code"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        abstract = True


class Action(models.TextChoices):
    CREATE = "create", _("Create issue")
    COMMENT = "comment", _("Add comment")


class Source(models.TextChoices):
    AGENT = "agent", _("Agent")
    AI = "ai", _("AI decision accepted by an agent")
    API = "api", "API"


class OutboxItem(WorkItem):
    """One piece of work for a tracker, written in the transaction that asked for it."""

    key = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False, help_text=_("Idempotency key."), verbose_name=_("key")
    )
    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="outbox", verbose_name=_("connection")
    )
    # The tracker site it was asked for: after the connection moves, a ticket may be escalated again.
    instance = models.CharField(max_length=300, blank=True, verbose_name=_("instance"))
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="outbox_items", verbose_name=_("ticket"))
    action = models.CharField(max_length=10, choices=Action.choices, default=Action.CREATE, verbose_name=_("action"))
    reply = models.ForeignKey(
        Reply, null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("reply")
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.AGENT, verbose_name=_("source"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("requested by")
    )
    requested_by_name = models.CharField(max_length=200, blank=True, verbose_name=_("requester's name"))
    reasons = models.TextField(
        blank=True,
        help_text=_("Why it was escalated (the AI's reasons or the agent's note)."),
        verbose_name=_("reasons"),
    )

    class Meta:
        verbose_name = _("outgoing sync")
        verbose_name_plural = _("outgoing syncs")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["ticket", "-created_at"], name="outbox_ticket"),
        ]
        constraints = [
            # One live escalation per ticket and tracker site, whatever the entry point or the race.
            models.UniqueConstraint(
                fields=["ticket", "connection", "instance"],
                condition=models.Q(action="create") & ~models.Q(status="failed"),
                name="outbox_one_live_create_instance",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} for #{self.ticket.number} in {self.connection.system} ({self.status})"


class ExternalRef(models.Model):
    """The issue or ticket in a tracker that a ticket is linked to."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="external_refs", verbose_name=_("ticket"))
    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="refs", verbose_name=_("connection")
    )
    system = models.CharField(max_length=10, choices=system_choices, verbose_name=_("system"))
    instance = models.CharField(
        max_length=300,
        help_text=_("The tracker's address when the link was made (keys repeat across sites)."),
        verbose_name=_("instance"),
    )
    key = models.CharField(max_length=100, help_text=_("SUP-123, or the Zendesk ticket id."), verbose_name=_("key"))
    remote_id = models.CharField(max_length=100, blank=True, verbose_name=_("remote ID"))
    url = models.URLField(max_length=500, verbose_name=_("URL"))
    remote_status = models.CharField(max_length=100, blank=True, verbose_name=_("remote status"))
    remote_resolved = models.BooleanField(default=False, verbose_name=_("resolved remotely"))
    last_synced_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last synced"))
    # Set when the tracker no longer has the issue (deleted, moved, or hidden from our account).
    missing_since = models.DateTimeField(null=True, blank=True, verbose_name=_("missing since"))
    missing_reason = models.TextField(blank=True, verbose_name=_("why missing"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("external link")
        verbose_name_plural = _("external links")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "instance", "key"], name="ref_unique_instance_key"),
            models.UniqueConstraint(fields=["ticket", "connection", "instance"], name="ref_one_per_ticket_instance"),
        ]
        indexes = [models.Index(fields=["missing_since"], name="ref_missing")]

    def __str__(self) -> str:
        return f"{self.key} ({self.system}) for #{self.ticket.number}"

    @property
    def current(self) -> bool:
        """Whether the link is on the site its connection points at now (not a site it moved away from)."""
        return self.instance == self.connection.instance


class Direction(models.TextChoices):
    OUTBOUND = "outbound", _("Outbound")
    INBOUND = "inbound", _("Inbound")


class Outcome(models.TextChoices):
    OK = "ok", "OK"
    RETRY = "retry", _("Will retry")
    FAILED = "failed", _("Failed")
    IGNORED = "ignored", _("Ignored")


class IntegrationSyncLog(models.Model):
    """One exchange with another system: what was asked, how it went, how long it took."""

    system = models.CharField(max_length=10, verbose_name=_("system"))
    connection = models.ForeignKey(
        Connection, null=True, blank=True, on_delete=models.CASCADE, related_name="logs", verbose_name=_("connection")
    )
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="sync_logs", verbose_name=_("ticket")
    )
    direction = models.CharField(max_length=10, choices=Direction.choices, verbose_name=_("direction"))
    operation = models.CharField(max_length=30, verbose_name=_("operation"))
    outcome = models.CharField(max_length=10, choices=Outcome.choices, verbose_name=_("outcome"))
    status_code = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name=_("status code"))
    duration_ms = models.FloatField(default=0, verbose_name=_("duration, ms"))
    request = models.JSONField(
        default=dict, blank=True, help_text=_("What was sent or received, without secrets."), verbose_name=_("request")
    )
    error = models.TextField(blank=True, verbose_name=_("error"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("sync record")
        verbose_name_plural = _("sync log")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at"], name="synclog_created"),
            models.Index(fields=["ticket", "-created_at"], name="synclog_ticket"),
            models.Index(fields=["outcome", "-created_at"], name="synclog_outcome"),
        ]

    def __str__(self) -> str:
        return f"{self.system} {self.direction} {self.operation}: {self.outcome}"


class InboundDelivery(models.Model):
    """A webhook delivery already handled; a replay with the same id is ignored."""

    system = models.CharField(max_length=10, verbose_name=_("system"))
    delivery_id = models.CharField(max_length=200, verbose_name=_("delivery ID"))
    received_at = models.DateTimeField(auto_now_add=True, verbose_name=_("received at"))

    class Meta:
        verbose_name = _("inbound delivery")
        verbose_name_plural = _("inbound deliveries")
        constraints = [models.UniqueConstraint(fields=["system", "delivery_id"], name="inbound_once")]

    def __str__(self) -> str:
        return f"{self.system} delivery {self.delivery_id}"


class SyncedComment(models.Model):
    """A comment known on both sides: brought in as a note, or sent out from a reply (no echo)."""

    external_ref = models.ForeignKey(
        ExternalRef, on_delete=models.CASCADE, related_name="comments", verbose_name=_("external link")
    )
    remote_id = models.CharField(max_length=100, verbose_name=_("remote ID"))
    reply = models.ForeignKey(
        Reply, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("reply")
    )
    direction = models.CharField(max_length=10, choices=Direction.choices, verbose_name=_("direction"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("synced comment")
        verbose_name_plural = _("synced comments")
        constraints = [models.UniqueConstraint(fields=["external_ref", "remote_id"], name="comment_once")]

    def __str__(self) -> str:
        return f"{self.direction} comment {self.remote_id}"


class WebhookEvent(models.TextChoices):
    TICKET_CREATED = "ticket.created", "ticket.created"
    TICKET_UPDATED = "ticket.updated", "ticket.updated"
    TICKET_ESCALATED = "ticket.escalated", "ticket.escalated"
    REPLY_CREATED = "reply.created", "reply.created"


class WebhookEndpoint(models.Model):
    """A URL of the tenant's own systems that receives signed JSON events."""

    url = models.URLField(max_length=500, verbose_name=_("URL"))
    description = models.CharField(max_length=200, blank=True, verbose_name=_("description"))
    secret_encrypted = models.TextField(editable=False, verbose_name=_("secret (encrypted)"))
    events = ArrayField(
        models.CharField(max_length=30, choices=WebhookEvent.choices), default=list, verbose_name=_("events")
    )
    active = models.BooleanField(default=True, verbose_name=_("active"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["url"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(WorkItem):
    """One event for one endpoint, retried until it is accepted or the attempts run out."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("endpoint")
    )
    event = models.CharField(max_length=30, choices=WebhookEvent.choices, verbose_name=_("event"))
    event_id = models.UUIDField(default=uuid.uuid4, editable=False, verbose_name=_("event ID"))
    payload = models.JSONField(verbose_name=_("payload"))
    response_ms = models.FloatField(null=True, blank=True, verbose_name=_("response time, ms"))
    response_excerpt = models.CharField(max_length=500, blank=True, verbose_name=_("response excerpt"))

    class Meta:
        verbose_name = _("webhook delivery")
        ordering = ["-created_at", "-id"]
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due"),
            models.Index(fields=["endpoint", "-created_at"], name="delivery_endpoint"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint.url} ({self.status})"
