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
    name = models.CharField(max_length=100, unique=True, verbose_name=_("name"))
    description = models.TextField(blank=True, verbose_name=_("description"))
    # The version that downloads by default, the classifier API and assistants use ("checked out").
    current_version = models.ForeignKey(
        "Version", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("current version")
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
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("dataset")
        verbose_name_plural = _("datasets")
        ordering = ["-updated_at", "-pk"]

    def __str__(self) -> str:
        return self.name


class Upload(models.Model):
    """A file whose columns were read and previewed; a run maps its columns and imports it."""

    class Source(models.TextChoices):
        FILE = "file", _("File")
        TICKETS = "tickets", _("Tickets (category)")
        DRAFT_PAIRS = "draft_pairs", _("AI draft → agent reply")

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="uploads", verbose_name=_("dataset"))
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.FILE, verbose_name=_("source"))
    file = models.FileField(upload_to="datasets/uploads/%Y/%m/", verbose_name=_("file"))
    filename = models.CharField(max_length=255, verbose_name=_("file name"))
    format = models.CharField(max_length=10, verbose_name=_("format"))
    size = models.PositiveBigIntegerField(default=0, verbose_name=_("size"))
    # The delimiter a CSV is split on: the one picked at upload, or the one guessed from its first rows.
    delimiter = models.CharField(max_length=1, blank=True, verbose_name=_("delimiter"))
    columns = models.JSONField(default=list, verbose_name=_("columns"))
    preview = models.JSONField(default=list, help_text=_("The first rows, as read."), verbose_name=_("preview"))
    # Suggested from the column names (or set by an export); the run keeps the mapping it used.
    mapping = models.JSONField(default=dict, blank=True, verbose_name=_("mapping"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("upload")
        verbose_name_plural = _("uploads")
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

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="runs", verbose_name=_("dataset"))
    upload = models.ForeignKey(
        Upload, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs", verbose_name=_("upload")
    )
    mapping = models.JSONField(default=dict, verbose_name=_("mapping"))
    options = models.JSONField(default=dict, verbose_name=_("options"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, verbose_name=_("status"))
    steps = models.JSONField(default=list, verbose_name=_("steps"))
    error = models.TextField(blank=True, verbose_name=_("error"))
    version = models.ForeignKey(
        "Version", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("version")
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
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("started at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))
    # When the broker took the latest message of this run (empty: never, e.g. it was down), and the
    # latest sign of life of the worker on it (empty while a write waits for a worker). The sweeper
    # sends a waiting run again and stops a running one whose worker went silent.
    queued_at = models.DateTimeField(null=True, blank=True, verbose_name=_("queued at"))
    heartbeat_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last heartbeat"))

    class Meta:
        verbose_name = _("run")
        verbose_name_plural = _("runs")
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

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="rows", verbose_name=_("run"))
    position = models.PositiveIntegerField(verbose_name=_("position"))
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.ORIGINAL, verbose_name=_("source"))
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="variants", verbose_name=_("parent")
    )
    generator = models.CharField(
        max_length=40, blank=True, help_text=_("What made a synthetic row (llm, typos…)."), verbose_name=_("generator")
    )
    external_id = models.CharField(max_length=255, blank=True, verbose_name=_("external ID"))
    text = models.TextField(verbose_name=_("text"))
    text_hash = models.CharField(max_length=64, verbose_name=_("text hash"))
    response = models.TextField(blank=True, verbose_name=_("response"))
    domain = models.CharField(max_length=100, blank=True, verbose_name=_("domain"))
    meta = models.JSONField(default=dict, blank=True, verbose_name=_("metadata"))
    original_label = models.CharField(
        max_length=LABEL_MAX, blank=True, help_text=_("The label the file had."), verbose_name=_("original label")
    )
    suggested_label = models.CharField(max_length=LABEL_MAX, blank=True, verbose_name=_("suggested label"))
    confidence = models.FloatField(null=True, blank=True, verbose_name=_("confidence"))
    method = models.CharField(
        max_length=20, blank=True, help_text=_("How the label was found."), verbose_name=_("method")
    )
    label = models.CharField(
        max_length=LABEL_MAX, blank=True, help_text=_("The label the row is written with."), verbose_name=_("label")
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.READY, verbose_name=_("status"))
    review_reason = models.CharField(max_length=16, choices=Reason.choices, blank=True, verbose_name=_("review reason"))
    reviewed = models.BooleanField(default=False, verbose_name=_("reviewed"))
    qc_reason = models.CharField(
        max_length=30,
        blank=True,
        help_text=_("Why quality control rejected a variant."),
        verbose_name=_("quality check reason"),
    )
    # For the reviewer: what the LLM said, how sure the model was of the file's own label.
    hints = models.JSONField(default=dict, blank=True, verbose_name=_("hints"))
    embedding = VectorField(dimensions=EMBEDDING_DIMENSIONS, null=True, blank=True, verbose_name=_("embedding"))
    # The model `embedding` came from (helpdesk.ai.embed.MODELS); vectors of two models are never compared.
    embedding_model = models.CharField(max_length=20, blank=True, verbose_name=_("embedding model"))
    # How often a prediction at this confidence was right out of fold on the run's labelled rows.
    calibrated_confidence = models.FloatField(null=True, blank=True, verbose_name=_("calibrated confidence"))
    # The place of a waiting row in the review queue (most useful decision first).
    review_rank = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("review rank"))

    class Meta:
        verbose_name = _("row")
        verbose_name_plural = _("rows")
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

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("run"))
    row = models.ForeignKey(Row, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("row"))
    action = models.CharField(max_length=7, choices=Action.choices, verbose_name=_("action"))
    label_before = models.CharField(max_length=LABEL_MAX, blank=True, verbose_name=_("label before"))
    label_after = models.CharField(max_length=LABEL_MAX, blank=True, verbose_name=_("label after"))
    # A bulk accept takes the suggestion as it is: no evidence of how often the labeler is right.
    bulk = models.BooleanField(default=False, verbose_name=_("bulk accepted"))
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("reviewer"),
    )
    decided_at = models.DateTimeField(auto_now_add=True, verbose_name=_("decided at"))
    undone_at = models.DateTimeField(null=True, blank=True, verbose_name=_("undone at"))

    class Meta:
        verbose_name = _("review decision")
        verbose_name_plural = _("review decisions")
        ordering = ["-decided_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.row_id}"


class Version(models.Model):
    """An immutable, content-hashed train/eval split of a dataset."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="versions", verbose_name=_("dataset"))
    run = models.ForeignKey(
        Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("run")
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("parent")
    )
    tag = models.CharField(max_length=32, verbose_name=_("tag"))
    message = models.TextField(blank=True, verbose_name=_("message"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("author"),
    )
    content_hash = models.CharField(max_length=64, verbose_name=_("content hash"))
    train_count = models.PositiveIntegerField(default=0, verbose_name=_("training rows"))
    eval_count = models.PositiveIntegerField(default=0, verbose_name=_("evaluation rows"))
    # {"train": {label: n}, "eval": {label: n}, "domains": {domain: n}, "synthetic": n}
    counts = models.JSONField(default=dict, verbose_name=_("counts"))
    # What the writer decided: labels kept in train only, near-duplicates moved, rows left out.
    report = models.JSONField(default=dict, verbose_name=_("report"))
    files = models.JSONField(default=dict, help_text=_("Storage names by split and format."), verbose_name=_("files"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("version")
        verbose_name_plural = _("versions")
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

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="rows", verbose_name=_("version"))
    split = models.CharField(max_length=5, choices=Split.choices, verbose_name=_("split"))
    position = models.PositiveIntegerField(verbose_name=_("position"))
    text = models.TextField(verbose_name=_("text"))
    text_hash = models.CharField(max_length=64, verbose_name=_("text hash"))
    label = models.CharField(max_length=LABEL_MAX, verbose_name=_("label"))
    response = models.TextField(blank=True, verbose_name=_("response"))
    domain = models.CharField(max_length=100, blank=True, verbose_name=_("domain"))
    source = models.CharField(max_length=10, default=Row.Source.ORIGINAL, verbose_name=_("source"))
    external_id = models.CharField(max_length=255, blank=True, verbose_name=_("external ID"))
    meta = models.JSONField(default=dict, blank=True, verbose_name=_("metadata"))
    embedding = VectorField(dimensions=EMBEDDING_DIMENSIONS, null=True, blank=True, verbose_name=_("embedding"))
    # The model `embedding` came from; a row of another model is embedded again where it is used.
    embedding_model = models.CharField(max_length=20, blank=True, verbose_name=_("embedding model"))

    class Meta:
        verbose_name = _("version row")
        verbose_name_plural = _("version rows")
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

    version = models.OneToOneField(
        Version, on_delete=models.CASCADE, related_name="classifier", verbose_name=_("version")
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.TRAINING, verbose_name=_("status"))
    error = models.TextField(blank=True, verbose_name=_("error"))
    file = models.CharField(
        max_length=300, blank=True, help_text=_("Storage name of the weights (.npz)."), verbose_name=_("file")
    )
    labels = models.JSONField(default=list, verbose_name=_("labels"))
    # The model whose vectors it was trained on: texts are embedded with the same one to be classified.
    embedding_model = models.CharField(max_length=20, blank=True, verbose_name=_("embedding model"))
    # On the version's eval split: accuracy, macro-F1, per label precision/recall/F1, and the same
    # for nearest-neighbour labeling as a baseline.
    metrics = models.JSONField(default=dict, verbose_name=_("metrics"))
    train_rows = models.PositiveIntegerField(default=0, verbose_name=_("training rows"))
    eval_rows = models.PositiveIntegerField(default=0, verbose_name=_("evaluation rows"))
    seconds = models.FloatField(default=0, verbose_name=_("seconds"))
    trained_at = models.DateTimeField(null=True, blank=True, verbose_name=_("trained at"))
    # As on runs: when the broker took the retrain message, and when a worker started training.
    queued_at = models.DateTimeField(null=True, blank=True, verbose_name=_("queued at"))
    heartbeat_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last heartbeat"))

    class Meta:
        verbose_name = _("classifier")
        verbose_name_plural = _("classifiers")

    def __str__(self) -> str:
        return f"classifier of {self.version_id}"
