"""Adapter versions of an assistant: each one is a training job and, once trained, a LoRA adapter.

An ``Adapter`` row is created queued, trained on the ``training`` Celery queue, and keeps its
progress (step, loss curve, heartbeat), its data summary, its metrics before and after, and its
files under ``MEDIA_ROOT/<schema>/adapters/<assistant>/<uuid>/``. The assistant's active adapter
is ``Assistant.adapter``: the path of one ready version relative to the tenant's media folder.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from assistants.models import Assistant


class Status(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Training")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


IN_FLIGHT = (Status.QUEUED, Status.RUNNING)


class Publishing(models.TextChoices):
    """Where publishing to Ollama stands (a worker uploads the GGUF copy and creates the model)."""

    NONE = "", _("Not published")
    QUEUED = "queued", _("Waiting for a worker")
    RUNNING = "running", _("Publishing")
    DONE = "done", _("Published")
    FAILED = "failed", _("Publishing failed")


class Failure(models.TextChoices):
    NO_DATA = "no_data", _("Not enough training data")
    BAD_ROWS = "bad_rows", _("Bad rows in the uploaded file")
    OUT_OF_MEMORY = "out_of_memory", _("Out of memory")
    WORKER_LOST = "worker_lost", _("The training worker stopped")
    TIMED_OUT = "timed_out", _("Took longer than the time limit")
    ERROR = "error", _("Unexpected error")


def _folder() -> str:
    return uuid.uuid4().hex


class Phase(models.TextChoices):
    """What a running job is doing: the steps count only while it trains."""

    PREPARING = "preparing", _("Preparing the data and the model")
    TRAINING = "training", _("Training")
    CONVERTING = "converting", _("Converting the adapter for llama.cpp")
    EVALUATING = "evaluating", _("Answering held-out questions with and without the adapter")


class Adapter(models.Model):
    assistant = models.ForeignKey(Assistant, on_delete=models.CASCADE, related_name="adapters")
    number = models.PositiveIntegerField(help_text=_("Version number within the assistant: v1, v2, …"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # True while queued or running; at most one such row per tenant (its own schema), by constraint.
    in_flight = models.BooleanField(default=True, editable=False)
    folder = models.CharField(max_length=32, default=_folder, editable=False, unique=True)
    sources = models.JSONField(default=list, help_text=_('Data sources, e.g. [{"kind": "knowledge"}].'))
    hyperparameters = models.JSONField(default=dict)
    base_model = models.CharField(max_length=200, blank=True)
    # What the data sources gave: counts per source, duplicates, rejected rows, train / held-out sizes.
    data = models.JSONField(default=dict, blank=True)
    step = models.PositiveIntegerField(default=0)
    total_steps = models.PositiveIntegerField(default=0)
    loss = models.FloatField(null=True, blank=True, help_text=_("Training loss of the latest step."))
    loss_curve = models.JSONField(default=list, blank=True, help_text=_("[[step, loss], …]"))
    seconds_per_step = models.FloatField(null=True, blank=True)
    phase = models.CharField(max_length=12, choices=Phase.choices, blank=True)
    eval_done = models.PositiveIntegerField(default=0, help_text=_("Held-out answers written so far."))
    eval_total = models.PositiveIntegerField(default=0, help_text=_("Held-out answers to write (before and after)."))
    eval_started_at = models.DateTimeField(null=True, blank=True)
    metrics = models.JSONField(default=dict, blank=True, help_text=_("Before / after: losses, similarity, grounding."))
    error_kind = models.CharField(max_length=20, choices=Failure.choices, blank=True)
    error = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    gguf_size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    gguf_error = models.TextField(blank=True, help_text=_("Why the llama.cpp copy could not be made."))
    ollama_model = models.CharField(max_length=200, blank=True, help_text=_("Model name once published to Ollama."))
    published_at = models.DateTimeField(null=True, blank=True)
    publishing = models.CharField(max_length=10, choices=Publishing.choices, blank=True, default=Publishing.NONE)
    publishing_error = models.TextField(blank=True, help_text=_("Why the latest publishing to Ollama failed."))
    publishing_requested_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True, help_text=_("Latest activation."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # When the broker took the job's message (empty: never, e.g. it was down; the sweeper sends it again).
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["assistant", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["assistant", "number"], name="lora_adapter_number"),
            models.UniqueConstraint(
                fields=["in_flight"], condition=models.Q(in_flight=True), name="lora_one_job_per_tenant"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assistant} v{self.number}"

    @property
    def publishing_pending(self) -> bool:
        return self.publishing in (Publishing.QUEUED, Publishing.RUNNING)

    @property
    def label(self) -> str:
        return f"v{self.number}"

    @property
    def relative_dir(self) -> str:
        """The folder of this version's files, relative to the tenant's media folder."""
        return f"adapters/{self.assistant_id}/{self.folder}"

    @property
    def is_active(self) -> bool:
        return bool(self.status == Status.READY and self.assistant.adapter == self.relative_dir)

    @property
    def in_progress(self) -> bool:
        return self.status in IN_FLIGHT

    @property
    def progress_percent(self) -> int:
        if self.status == Status.READY:
            return 100
        return min(99, round(100 * self.step / self.total_steps)) if self.total_steps else 0


class Event(models.Model):
    """Who activated, overrode the quality gate, rolled back, published or cancelled, and when."""

    class Action(models.TextChoices):
        CREATED = "created", _("Training requested")
        ACTIVATED = "activated", _("Activated")
        AUTO_ACTIVATED = "auto_activated", _("Activated automatically")
        OVERRIDE = "override", _("Activated despite the quality gate")
        NOT_ACTIVATED = "not_activated", _("Not activated by the quality gate")
        ROLLED_BACK = "rolled_back", _("Rolled back")
        DEACTIVATED = "deactivated", _("Deactivated")
        CANCELLED = "cancelled", _("Cancelled")
        PUBLISHED = "published", _("Published to Ollama")
        PUBLISH_FAILED = "publish_failed", _("Publishing to Ollama failed")

    adapter = models.ForeignKey(Adapter, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20, choices=Action.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.adapter}: {self.action}"
