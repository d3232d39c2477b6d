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
    assistant = models.ForeignKey(
        Assistant, on_delete=models.CASCADE, related_name="adapters", verbose_name=_("assistant")
    )
    number = models.PositiveIntegerField(
        help_text=_("Version number within the assistant: v1, v2, …"), verbose_name=_("number")
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, verbose_name=_("status"))
    # True while queued or running; at most one such row per tenant (its own schema), by constraint.
    in_flight = models.BooleanField(default=True, editable=False, verbose_name=_("in progress"))
    folder = models.CharField(max_length=32, default=_folder, editable=False, unique=True, verbose_name=_("folder"))
    sources = models.JSONField(
        default=list, help_text=_('Data sources, e.g. [{"kind": "knowledge"}].'), verbose_name=_("sources")
    )
    hyperparameters = models.JSONField(default=dict, verbose_name=_("hyperparameters"))
    base_model = models.CharField(max_length=200, blank=True, verbose_name=_("base model"))
    # What the data sources gave: counts per source, duplicates, rejected rows, train / held-out sizes.
    data = models.JSONField(default=dict, blank=True, verbose_name=_("data"))
    step = models.PositiveIntegerField(default=0, verbose_name=_("step"))
    total_steps = models.PositiveIntegerField(default=0, verbose_name=_("total steps"))
    loss = models.FloatField(
        null=True, blank=True, help_text=_("Training loss of the latest step."), verbose_name=_("loss")
    )
    loss_curve = models.JSONField(
        default=list, blank=True, help_text=_("[[step, loss], …]"), verbose_name=_("loss curve")
    )
    seconds_per_step = models.FloatField(null=True, blank=True, verbose_name=_("seconds per step"))
    phase = models.CharField(max_length=12, choices=Phase.choices, blank=True, verbose_name=_("phase"))
    eval_done = models.PositiveIntegerField(
        default=0, help_text=_("Held-out answers written so far."), verbose_name=_("evaluated")
    )
    eval_total = models.PositiveIntegerField(
        default=0, help_text=_("Held-out answers to write (before and after)."), verbose_name=_("to evaluate")
    )
    eval_started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("evaluation started at"))
    metrics = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("Before / after: losses, similarity, grounding."),
        verbose_name=_("metrics"),
    )
    error_kind = models.CharField(max_length=20, choices=Failure.choices, blank=True, verbose_name=_("error kind"))
    error = models.TextField(blank=True, verbose_name=_("error"))
    cancel_requested = models.BooleanField(default=False, verbose_name=_("cancel requested"))
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True, verbose_name=_("size, bytes"))
    gguf_size_bytes = models.PositiveBigIntegerField(null=True, blank=True, verbose_name=_("GGUF size, bytes"))
    gguf_error = models.TextField(
        blank=True, help_text=_("Why the llama.cpp copy could not be made."), verbose_name=_("GGUF error")
    )
    ollama_model = models.CharField(
        max_length=200, blank=True, help_text=_("Model name once published to Ollama."), verbose_name=_("Ollama model")
    )
    published_at = models.DateTimeField(null=True, blank=True, verbose_name=_("published at"))
    publishing = models.CharField(
        max_length=10, choices=Publishing.choices, blank=True, default=Publishing.NONE, verbose_name=_("publishing")
    )
    publishing_error = models.TextField(
        blank=True, help_text=_("Why the latest publishing to Ollama failed."), verbose_name=_("publishing error")
    )
    publishing_requested_at = models.DateTimeField(null=True, blank=True, verbose_name=_("publishing requested at"))
    activated_at = models.DateTimeField(
        null=True, blank=True, help_text=_("Latest activation."), verbose_name=_("activated at")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    # When the broker took the job's message (empty: never, e.g. it was down; the sweeper sends it again).
    queued_at = models.DateTimeField(null=True, blank=True, verbose_name=_("queued at"))
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("started at"))
    heartbeat_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last heartbeat"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))

    class Meta:
        verbose_name = _("LoRA adapter")
        verbose_name_plural = _("LoRA adapters")
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

    adapter = models.ForeignKey(Adapter, on_delete=models.CASCADE, related_name="events", verbose_name=_("adapter"))
    action = models.CharField(max_length=20, choices=Action.choices, verbose_name=_("action"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )
    note = models.TextField(blank=True, verbose_name=_("note"))
    at = models.DateTimeField(auto_now_add=True, verbose_name=_("at"))

    class Meta:
        verbose_name = _("adapter event")
        verbose_name_plural = _("adapter events")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.adapter}: {self.action}"
