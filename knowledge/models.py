"""Documents of a tenant's knowledge base and the chunks search runs over.

The embedding column's dimension is fixed in the migration (384, every registered
model). A model with another dimension needs a migration that alters
``Chunk.embedding`` (and rebuilds the HNSW index), then ``kb_reindex``.
``helpdesk.ai.embed`` refuses to load a model of another size.

Each chunk records the model of its vector (``embedding_model``); search compares a query only
with vectors of the tenant's active model. While the tenant switches models (``EmbeddingSwitch``),
``embedding_next`` holds each chunk's vector from the target model; the switch ends by moving it
into ``embedding`` in one transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pgvector.django import HnswIndex, VectorField

from helpdesk.ai.embed import EMBEDDING_DIMENSIONS, MODEL_CHOICES

# Languages with a PostgreSQL text-search configuration; anything else is indexed with `simple`.
# The trigger in migration 0001 holds the same mapping (keep them in step).
TS_CONFIGS = {
    "en": "english",
    "ru": "russian",
    "de": "german",
    "fr": "french",
    "es": "spanish",
    "it": "italian",
    "pt": "portuguese",
    "nl": "dutch",
}


class Visibility(models.TextChoices):
    """Who may read a document through the assistants: staff only, or the public (widget, portal)."""

    INTERNAL = "internal", _("Internal (staff only)")
    PUBLIC = "public", _("Public (customers too)")


class Document(models.Model):
    Visibility = Visibility

    class Source(models.TextChoices):
        UPLOAD = "upload", _("Upload")
        URL = "url", _("URL")
        TEXT = "text", _("Text")
        API = "api", _("API")

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        PROCESSING = "processing", _("Processing")
        INDEXED = "indexed", _("Indexed")
        FAILED = "failed", _("Failed")

    title = models.CharField(max_length=300, verbose_name=_("title"))
    source = models.CharField(max_length=10, choices=Source.choices, verbose_name=_("source"))
    file = models.FileField(upload_to="knowledge/%Y/%m/", blank=True, verbose_name=_("file"))
    # The original name of an uploaded file (the stored name may be suffixed to stay unique).
    filename = models.CharField(max_length=255, blank=True, verbose_name=_("file name"))
    url = models.URLField(max_length=2000, blank=True, verbose_name=_("URL"))
    text = models.TextField(blank=True, help_text=_("Pasted text (source `text`)."), verbose_name=_("text"))
    # Language code (en, ru, ...) for every chunk; empty: detected per chunk from its script.
    language = models.CharField(max_length=10, blank=True, verbose_name=_("language"))
    tags = ArrayField(models.CharField(max_length=50), default=list, blank=True, verbose_name=_("tags"))
    # For `api` documents: the `source` label the chunks were upserted under; otherwise optional.
    external_id = models.CharField(max_length=255, blank=True, verbose_name=_("external ID"))
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.UPLOADED, verbose_name=_("status"))
    error = models.TextField(blank=True, verbose_name=_("error"))
    checksum = models.CharField(
        max_length=64, blank=True, help_text=_("SHA-256 of the extracted text."), verbose_name=_("checksum")
    )
    # SHA-256 of an uploaded file's bytes: the same file uploaded again is recognised.
    file_sha256 = models.CharField(max_length=64, blank=True, db_index=True, verbose_name=_("file's SHA-256"))
    archived = models.BooleanField(default=False, verbose_name=_("archived"))
    # Internal by default: nothing reaches the website widget or the portal unless someone says it may.
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.INTERNAL, verbose_name=_("visibility")
    )
    # Progress of the current indexing run.
    pages_total = models.PositiveIntegerField(default=0, verbose_name=_("pages"))
    chunks_total = models.PositiveIntegerField(default=0, verbose_name=_("fragments in total"))
    chunks_embedded = models.PositiveIntegerField(default=0, verbose_name=_("fragments embedded"))
    chunks_reused = models.PositiveIntegerField(default=0, verbose_name=_("fragments reused"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    indexed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("indexed at"))
    # Work that is never stuck: when indexing was last handed to the broker (null: not yet, e.g. the
    # broker was down), which task holds the claim and when it last showed progress (a heartbeat),
    # and how many runs were started since the last success (bounds redelivery loops).
    queued_at = models.DateTimeField(null=True, blank=True, verbose_name=_("queued at"))
    claimed_by = models.CharField(max_length=255, blank=True, verbose_name=_("claimed by"))
    claimed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("claimed at"))
    index_attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("indexing attempts"))

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["source", "external_id"]),
            models.Index(
                fields=["status"],
                name="knowledge_doc_in_progress",
                condition=models.Q(status__in=["uploaded", "processing"]),
            ),
        ]
        constraints = [
            # One document per upsert source: two concurrent upserts of a new source cannot create two.
            models.UniqueConstraint(
                fields=["external_id"], condition=models.Q(source="api"), name="knowledge_document_api_source"
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def in_progress(self) -> bool:
        return self.status in {self.Status.UPLOADED, self.Status.PROCESSING}

    @property
    def last_activity(self) -> datetime | None:
        """When the current indexing run last showed life: its heartbeat, or when it was queued."""
        return self.claimed_at if self.status == self.Status.PROCESSING else self.queued_at

    @property
    def is_stuck(self) -> bool:
        """In progress without a sign of life for KB_STUCK_AFTER_SECONDS, or never handed to the broker
        (what the beat sweeper queues again, see ``knowledge.services.documents_requeue_stuck``)."""
        if not self.in_progress:
            return False
        last = self.last_activity
        return last is None or timezone.now() - last > timedelta(seconds=settings.KB_STUCK_AFTER_SECONDS)

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.INDEXED:
            return 100
        to_embed = self.chunks_total - self.chunks_reused
        if to_embed <= 0:
            return 0
        return min(99, round(100 * self.chunks_embedded / to_embed))


class Chunk(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="chunks", verbose_name=_("document"))
    position = models.PositiveIntegerField(verbose_name=_("position"))
    text = models.TextField(verbose_name=_("text"))
    heading = models.CharField(max_length=500, blank=True, verbose_name=_("heading"))
    token_count = models.PositiveIntegerField(verbose_name=_("token count"))
    sha256 = models.CharField(max_length=64, verbose_name=_("SHA-256"))
    embedding = VectorField(dimensions=EMBEDDING_DIMENSIONS, verbose_name=_("embedding"))
    # The model `embedding` came from (a key of helpdesk.ai.embed.MODELS).
    embedding_model = models.CharField(max_length=20, choices=MODEL_CHOICES, verbose_name=_("embedding model"))
    # The vector from the target model while the tenant switches models; empty otherwise.
    embedding_next = VectorField(
        dimensions=EMBEDDING_DIMENSIONS, null=True, blank=True, verbose_name=_("next model's embedding")
    )
    # Filled by a database trigger from `text` and `language` (see migration 0001).
    search_vector = SearchVectorField(null=True, editable=False, verbose_name=_("search vector"))
    language = models.CharField(max_length=10, blank=True, verbose_name=_("language"))
    tags = ArrayField(models.CharField(max_length=50), default=list, blank=True, verbose_name=_("tags"))
    external_id = models.CharField(max_length=255, blank=True, verbose_name=_("external ID"))
    # Where the chunk came from inside the document: page number, crawled URL.
    metadata = models.JSONField(default=dict, blank=True, verbose_name=_("metadata"))
    archived = models.BooleanField(default=False, verbose_name=_("archived"))
    # A copy of the document's visibility, so that search filters it in the same scan as `archived`.
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.INTERNAL, verbose_name=_("visibility")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("chunk")
        verbose_name_plural = _("chunks")
        ordering = ["document_id", "position"]
        constraints = [models.UniqueConstraint(fields=["document", "sha256"], name="knowledge_chunk_doc_sha256")]
        indexes = [
            HnswIndex(
                name="knowledge_chunk_embedding_hnsw",
                fields=["embedding"],
                m=16,
                ef_construction=64,
                opclasses=["vector_cosine_ops"],
            ),
            GinIndex(name="knowledge_chunk_search_gin", fields=["search_vector"]),
            GinIndex(name="knowledge_chunk_tags_gin", fields=["tags"]),
        ]

    def __str__(self) -> str:
        return f"{self.document_id}#{self.position}"


class EmbeddingSwitch(models.Model):
    """One change of the tenant's embedding model: every chunk re-embedded into ``Chunk.embedding_next``
    batch by batch, then swapped in at once. Search keeps the old vectors until the swap.

    At most one switch runs at a time (a partial unique constraint). ``done``/``total`` is what the
    knowledge settings page and ``kb_embedding_model`` show while it runs.
    """

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    source_model = models.CharField(max_length=20, choices=MODEL_CHOICES, verbose_name=_("source model"))
    target_model = models.CharField(max_length=20, choices=MODEL_CHOICES, verbose_name=_("target model"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING, verbose_name=_("status"))
    total = models.PositiveIntegerField(default=0, verbose_name=_("total"))
    done = models.PositiveIntegerField(default=0, verbose_name=_("done"))
    error = models.TextField(blank=True, verbose_name=_("error"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    # The heartbeat of the task re-embedding the chunks (each batch), and when the switch ended.
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))

    class Meta:
        verbose_name = _("model switch")
        verbose_name_plural = _("model switches")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="running"), name="knowledge_one_running_switch"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_model} → {self.target_model} ({self.status})"

    @property
    def running(self) -> bool:
        return self.status == self.Status.RUNNING

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total:
            return 0
        return min(99, round(100 * self.done / self.total))
