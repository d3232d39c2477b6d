"""Datasets of a tenant: uploads, pipeline runs and their rows, review decisions, immutable versions.

A run's rows are its working copy (labels, confidences, synthetic variants, review state);
a version is a frozen, content-hashed copy of the rows the writer chose, split into train
and eval. Versions are never edited: a change is a new version.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from pgvector.django import VectorField

from helpdesk.ai.embed import EMBEDDING_DIMENSIONS

LABEL_MAX = 100


class Dataset(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    # The version that downloads by default, the classifier API and assistants use ("checked out").
    current_version = models.ForeignKey("Version", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-pk"]

    def __str__(self) -> str:
        return self.name


class Upload(models.Model):
    """A file whose columns were read and previewed; a run maps its columns and imports it."""

    class Source(models.TextChoices):
        FILE = "file", _("File")
        TICKETS = "tickets", _("Tickets (category)")
        DRAFT_PAIRS = "draft_pairs", _("AI draft → agent reply")

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="uploads")
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.FILE)
    file = models.FileField(upload_to="datasets/uploads/%Y/%m/")
    filename = models.CharField(max_length=255)
    format = models.CharField(max_length=10)
    size = models.PositiveBigIntegerField(default=0)
    # The delimiter a CSV is split on: the one picked at upload, or the one guessed from its first rows.
    delimiter = models.CharField(max_length=1, blank=True)
    columns = models.JSONField(default=list)
    preview = models.JSONField(default=list, help_text=_("The first rows, as read."))
    # Suggested from the column names (or set by an export); the run keeps the mapping it used.
    mapping = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.filename


class Run(models.Model):
    """One pass of the pipeline over an upload; ``steps`` holds each step's state, progress and counts."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        REVIEW = "review", _("Awaiting review")
        READY = "ready", _("Ready to write")
        WRITING = "writing", _("Writing version")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="runs")
    upload = models.ForeignKey(Upload, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs")
    mapping = models.JSONField(default=dict)
    options = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    steps = models.JSONField(default=list)
    error = models.TextField(blank=True)
    version = models.ForeignKey("Version", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # When the broker took the latest message of this run (empty: never, e.g. it was down), and the
    # latest sign of life of the worker on it (empty while a write waits for a worker). The sweeper
    # sends a waiting run again and stops a running one whose worker went silent.
    queued_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Run {self.pk} of {self.dataset_id}"

    @property
    def active(self) -> bool:
        return self.status in {self.Status.QUEUED, self.Status.RUNNING, self.Status.WRITING}

    def step_state(self, name: str) -> dict:
        return next((s for s in self.steps if s.get("name") == name), {})


class Row(models.Model):
    """A row of a run: imported (original) or made by the augmenter (synthetic), with its labeling."""

    class Source(models.TextChoices):
        ORIGINAL = "original", _("Original")
        SYNTHETIC = "synthetic", _("Synthetic")

    class Status(models.TextChoices):
        READY = "ready", _("Ready")
        REVIEW = "review", _("Needs review")
        CANDIDATE = "candidate", _("Synthetic candidate")
        REJECTED = "rejected", _("Rejected")

    class Reason(models.TextChoices):
        LOW_CONFIDENCE = "low_confidence", _("Low confidence")
        DISPUTED = "disputed", _("Disputes the existing label")
        UNLABELED = "unlabeled", _("No label could be suggested")
        RESTORED = "restored", _("Restored after an earlier rejection")

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="rows")
    position = models.PositiveIntegerField()
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.ORIGINAL)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="variants")
    generator = models.CharField(max_length=40, blank=True, help_text=_("What made a synthetic row (llm, typos…)."))
    external_id = models.CharField(max_length=255, blank=True)
    text = models.TextField()
    text_hash = models.CharField(max_length=64)
    response = models.TextField(blank=True)
    domain = models.CharField(max_length=100, blank=True)
    meta = models.JSONField(default=dict, blank=True)
    original_label = models.CharField(max_length=LABEL_MAX, blank=True, help_text=_("The label the file had."))
    suggested_label = models.CharField(max_length=LABEL_MAX, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    method = models.CharField(max_length=20, blank=True, help_text=_("How the label was found."))
    label = models.CharField(max_length=LABEL_MAX, blank=True, help_text=_("The label the row is written with."))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.READY)
    review_reason = models.CharField(max_length=16, choices=Reason.choices, blank=True)
    reviewed = models.BooleanField(default=False)
    qc_reason = models.CharField(max_length=30, blank=True, help_text=_("Why quality control rejected a variant."))
    # For the reviewer: what the LLM said, how sure the model was of the file's own label.
    hints = models.JSONField(default=dict, blank=True)
    embedding = VectorField(dimensions=EMBEDDING_DIMENSIONS, null=True, blank=True)
    # The model `embedding` came from (helpdesk.ai.embed.MODELS); vectors of two models are never compared.
    embedding_model = models.CharField(max_length=20, blank=True)
    # How often a prediction at this confidence was right out of fold on the run's labelled rows.
    calibrated_confidence = models.FloatField(null=True, blank=True)
    # The place of a waiting row in the review queue (most useful decision first).
    review_rank = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["run", "position"]
        indexes = [
            models.Index(fields=["run", "status", "source"], name="datasets_row_run_status"),
            models.Index(fields=["run", "text_hash"], name="datasets_row_run_hash"),
        ]

    def __str__(self) -> str:
        return self.text[:60]


class ReviewDecision(models.Model):
    """A reviewer's decision on a row; undo marks it undone and restores the row (the history stays)."""

    class Action(models.TextChoices):
        ACCEPT = "accept", _("Accepted")
        CHANGE = "change", _("Changed label")
        REJECT = "reject", _("Rejected")
        RESTORE = "restore", _("Restored")

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="decisions")
    row = models.ForeignKey(Row, on_delete=models.CASCADE, related_name="decisions")
    action = models.CharField(max_length=7, choices=Action.choices)
    label_before = models.CharField(max_length=LABEL_MAX, blank=True)
    label_after = models.CharField(max_length=LABEL_MAX, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-decided_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.row_id}"


class Version(models.Model):
    """An immutable, content-hashed train/eval split of a dataset."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="versions")
    run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    tag = models.CharField(max_length=32)
    message = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    content_hash = models.CharField(max_length=64)
    train_count = models.PositiveIntegerField(default=0)
    eval_count = models.PositiveIntegerField(default=0)
    # {"train": {label: n}, "eval": {label: n}, "domains": {domain: n}, "synthetic": n}
    counts = models.JSONField(default=dict)
    # What the writer decided: labels kept in train only, near-duplicates moved, rows left out.
    report = models.JSONField(default=dict)
    files = models.JSONField(default=dict, help_text=_("Storage names by split and format."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["dataset", "tag"], name="datasets_version_tag")]

    def __str__(self) -> str:
        return f"{self.dataset.name} {self.tag}"

    @property
    def labels(self) -> list[str]:
        return sorted(set(self.counts.get("train", {})) | set(self.counts.get("eval", {})))


class VersionRow(models.Model):
    class Split(models.TextChoices):
        TRAIN = "train", _("Train")
        EVAL = "eval", _("Eval")

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="rows")
    split = models.CharField(max_length=5, choices=Split.choices)
    position = models.PositiveIntegerField()
    text = models.TextField()
    text_hash = models.CharField(max_length=64)
    label = models.CharField(max_length=LABEL_MAX)
    response = models.TextField(blank=True)
    domain = models.CharField(max_length=100, blank=True)
    source = models.CharField(max_length=10, default=Row.Source.ORIGINAL)
    external_id = models.CharField(max_length=255, blank=True)
    meta = models.JSONField(default=dict, blank=True)
    embedding = VectorField(dimensions=EMBEDDING_DIMENSIONS, null=True, blank=True)
    # The model `embedding` came from; a row of another model is embedded again where it is used.
    embedding_model = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["version", "split", "position"]
        indexes = [
            models.Index(fields=["version", "split", "position"], name="datasets_vrow_split"),
            models.Index(fields=["version", "text_hash"], name="datasets_vrow_hash"),
        ]

    def __str__(self) -> str:
        return self.text[:60]


class Classifier(models.Model):
    """Logistic regression on sentence embeddings, trained from a version's train split."""

    class Status(models.TextChoices):
        TRAINING = "training", _("Training")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    version = models.OneToOneField(Version, on_delete=models.CASCADE, related_name="classifier")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.TRAINING)
    error = models.TextField(blank=True)
    file = models.CharField(max_length=300, blank=True, help_text=_("Storage name of the weights (.npz)."))
    labels = models.JSONField(default=list)
    # The model whose vectors it was trained on: texts are embedded with the same one to be classified.
    embedding_model = models.CharField(max_length=20, blank=True)
    # On the version's eval split: accuracy, macro-F1, per label precision/recall/F1, and the same
    # for nearest-neighbour labeling as a baseline.
    metrics = models.JSONField(default=dict)
    train_rows = models.PositiveIntegerField(default=0)
    eval_rows = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)
    trained_at = models.DateTimeField(null=True, blank=True)
    # As on runs: when the broker took the retrain message, and when a worker started training.
    queued_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"classifier of {self.version_id}"
