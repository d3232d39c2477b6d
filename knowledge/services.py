"""Writes and workflows of the knowledge base, and ``search``: the one entry point the assistants call.

Everything runs in the current tenant's schema (the caller's tenant context).
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import PurePath
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import InterfaceError, transaction
from django.db import OperationalError as DatabaseOperationalError
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from helpdesk import ai
from helpdesk.celery import send_on_commit
from helpdesk.outbound import BLOCKED_REASON, address_allowed
from helpdesk.stored_text import stored_text
from knowledge import embeddings, ingest
from knowledge.embeddings import SwitchError
from knowledge.extract import (
    ACCEPTED_EXTENSIONS,
    ExtractionError,
    Section,
    UnsupportedType,
    format_of,
    paragraphs_of,
)
from knowledge.models import Chunk, Document, EmbeddingSwitch, Visibility
from knowledge.search import MAX_TOP_K, SearchError, SearchHit, SearchMode, run_search

__all__ = [
    "MAX_TOP_K",
    "SearchError",
    "SearchHit",
    "SearchMode",
    "SwitchError",
    "TransientIndexError",
    "UploadRejected",
    "chunks_reembed",
    "chunks_reindex_queue",
    "chunks_upsert",
    "document_archive",
    "document_create_from_text",
    "document_create_from_upload",
    "document_create_from_url",
    "document_delete",
    "document_index",
    "document_retry",
    "document_set_visibility",
    "documents_requeue_stuck",
    "embedding_switch_cancel",
    "embedding_switch_run",
    "embedding_switch_start",
    "search",
]

logger = logging.getLogger(__name__)


def search(
    query: str,
    *,
    top_k: int = 5,
    mode: SearchMode | str = SearchMode.HYBRID,
    tags: Sequence[str] = (),
    language: str | None = None,
    document_ids: Sequence[int] = (),
    min_score: float | None = None,
    min_similarity: float | None = None,
    include_archived: bool = False,
    visibility: str | None = None,
) -> list[SearchHit]:
    """The best ``top_k`` chunks of the current tenant's knowledge base for ``query``, best first.

    - ``mode``: ``hybrid`` (default: HNSW cosine top-k and full-text top-k fused by
      reciprocal rank), ``vector`` or ``keyword`` (``websearch_to_tsquery`` syntax:
      ``"exact phrase"``, ``-exclude``, ``or``; in keyword mode, when no chunk holds
      all the terms, chunks holding any of them are ranked instead).
    - Filters: ``tags`` keeps chunks with at least one of the tags; ``language``
      (``en``, ``ru``…) keeps chunks of that language and stems the query in it;
      ``document_ids`` keeps chunks of those documents. Archived chunks are left
      out unless ``include_archived``. ``visibility`` (``public`` / ``internal``) keeps
      chunks of documents with that visibility; None: both (what staff may read). Anything
      that answers the public (widget, portal) passes ``public``.
    - ``min_score`` drops hits whose ``score`` is lower (its scale depends on the
      mode, see ``SearchHit``); ``min_similarity`` drops hits whose cosine
      similarity to the query is lower (vector and hybrid modes; the portable
      relevance floor, e.g. 0.3 for MiniLM).

    Raises ``SearchError`` for an empty query, an unknown mode or ``top_k`` outside 1..100.
    """
    return run_search(
        query,
        top_k=top_k,
        mode=mode,
        tags=tags,
        language=language,
        document_ids=document_ids,
        min_score=min_score,
        min_similarity=min_similarity,
        include_archived=include_archived,
        visibility=visibility,
    )


# --- Creating documents -----------------------------------------------------------------------------


class UploadRejected(ExtractionError):
    """An upload refused before anything is stored; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def _check_crawlable(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ExtractionError(f"{url} is not a web address (it must start with http:// or https://).")
    try:
        literal = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return
    if not address_allowed(literal):
        raise ExtractionError(BLOCKED_REASON)


def _check_visibility(visibility: str) -> str:
    if visibility not in Visibility.values:
        raise ExtractionError(f"Unknown visibility {visibility!r}; use internal or public.")
    return visibility


def _clean_tags(tags: Iterable[str]) -> list[str]:
    return sorted({t.strip().lower()[:50] for t in tags if t and t.strip()})


def _enqueue(document: Document) -> None:
    """Queue indexing after the commit. With the broker down the document stays saved and unqueued
    (``queued_at`` empty); the beat sweeper queues it once the broker is back."""

    def sent() -> None:
        document.queued_at = timezone.now()
        Document.objects.filter(pk=document.pk).update(queued_at=document.queued_at)

    send_on_commit("knowledge.index_document", document.pk, on_sent=sent)


def check_upload(uploaded: UploadedFile) -> None:
    """415 for a type we cannot read, 400 for an empty file, 413 above ``KB_MAX_UPLOAD_MB``; nothing is stored then."""
    try:
        format_of(uploaded.name or "")
    except UnsupportedType as exc:
        raise UploadRejected(str(exc), 415) from exc
    limit = settings.KB_MAX_UPLOAD_MB * 1024 * 1024
    size = uploaded.size or 0
    if not size:
        raise UploadRejected(f"{PurePath(uploaded.name or 'The file').name} is empty; nothing to index.", 400)
    if size > limit:
        raise UploadRejected(
            f"{uploaded.name} is {size / 1024 / 1024:.1f} MB; the limit is {settings.KB_MAX_UPLOAD_MB} MB.",
            413,
        )


def file_digest(uploaded: UploadedFile) -> str:
    """SHA-256 of an upload's bytes (read in chunks; the file is left at its start)."""
    digest = hashlib.sha256()
    uploaded.seek(0)
    for block in uploaded.chunks():
        digest.update(block)
    uploaded.seek(0)
    return digest.hexdigest()


@transaction.atomic
def document_create_from_upload(
    *,
    uploaded: UploadedFile,
    title: str = "",
    language: str = "",
    tags: Iterable[str] = (),
    visibility: str = Visibility.INTERNAL,
    enqueue: bool = True,
) -> Document:
    """Store an uploaded file and queue its indexing (unless ``enqueue`` is off: the caller indexes it).

    Raises ``UploadRejected`` (415 for a type we cannot read, 413 above KB_MAX_UPLOAD_MB).
    """
    check_upload(uploaded)
    name = PurePath(uploaded.name or "upload").name
    document = Document(
        title=(title or PurePath(name).stem)[:300],
        source=Document.Source.UPLOAD,
        filename=name[:255],
        file_sha256=file_digest(uploaded),
        language=language,
        tags=_clean_tags(tags),
        visibility=_check_visibility(visibility),
    )
    document.file.save(name, uploaded, save=False)
    document.save()
    if enqueue:
        _enqueue(document)
    return document


@transaction.atomic
def document_create_from_text(
    *,
    title: str,
    text: str,
    language: str = "",
    tags: Iterable[str] = (),
    external_id: str = "",
    visibility: str = Visibility.INTERNAL,
    enqueue: bool = True,
) -> Document:
    """A document from pasted text (Markdown headings are honoured); indexing is queued."""
    if not text.strip():
        raise ExtractionError(_("The text is empty."))
    document = Document.objects.create(
        title=(title.strip() or text.strip().splitlines()[0])[:300],
        source=Document.Source.TEXT,
        text=text,
        language=language,
        tags=_clean_tags(tags),
        external_id=external_id,
        visibility=_check_visibility(visibility),
    )
    if enqueue:
        _enqueue(document)
    return document


@transaction.atomic
def document_create_from_url(
    *, url: str, title: str = "", language: str = "", tags: Iterable[str] = (), visibility: str = Visibility.INTERNAL
) -> Document:
    """A document crawled from ``url`` (same site, KB_CRAWL_* limits, robots.txt); crawling is queued.

    An address that is an internal IP is refused at once (``ExtractionError``); host names are
    checked by the crawler when it connects (no DNS lookup inside a request).
    """
    _check_crawlable(url)
    document = Document.objects.create(
        title=(title.strip() or url)[:300],
        source=Document.Source.URL,
        url=url,
        language=language,
        tags=_clean_tags(tags),
        visibility=_check_visibility(visibility),
    )
    _enqueue(document)
    return document


# --- Indexing ---------------------------------------------------------------------------------------


# Errors that go away by themselves (a database restart, a dropped connection): the run is given back
# and the task retries with backoff, instead of failing the document.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    DatabaseOperationalError,
    InterfaceError,
    ConnectionError,
    TimeoutError,
)


class TransientIndexError(Exception):
    """Indexing was interrupted by a transient error; the document is queued again (``status`` uploaded)."""


def _claim(document_id: int, token: str | None) -> Document | None:
    """Take the document for one indexing run with a conditional update, so two runs never overlap.

    A task (``token`` = its id) takes a queued document, one whose run stopped showing progress
    for KB_STUCK_AFTER_SECONDS (its worker died), or one it holds itself (its own retry, or the
    same message redelivered after the worker was lost). A direct call (no token) takes any
    document that no live run holds, to re-index it.
    """
    now = timezone.now()
    stale = Q(
        status=Document.Status.PROCESSING, claimed_at__lt=now - timedelta(seconds=settings.KB_STUCK_AFTER_SECONDS)
    )
    if token:
        claimable = Q(status=Document.Status.UPLOADED) | stale | Q(status=Document.Status.PROCESSING, claimed_by=token)
    else:
        claimable = ~Q(status=Document.Status.PROCESSING) | stale
    taken = Document.objects.filter(claimable, pk=document_id).update(
        status=Document.Status.PROCESSING,
        error="",
        chunks_embedded=0,
        claimed_by=token or "",
        claimed_at=now,
        index_attempts=F("index_attempts") + 1,
    )
    return Document.objects.get(pk=document_id) if taken else None


def document_index(*, document_id: int, claim: str | None = None) -> Document | None:
    """Extract, chunk, embed and store one document; failures are kept on it with a readable reason.

    ``claim`` is the calling task's id (see ``_claim``). Returns None when the row is gone or
    another run holds it. Raises ``TransientIndexError`` when a transient error interrupted the
    run: the document is then back in the queue and the task retries.
    """
    document = _claim(document_id, claim)
    if document is None:
        return None
    if document.index_attempts > settings.KB_INDEX_MAX_ATTEMPTS:
        _fail(
            document,
            f"Indexing was started {document.index_attempts - 1} times without finishing (the worker stopped or "
            "the database was unreachable each time). Retry it, or split a very large file.",
        )
        return document
    try:
        extracted = ingest.extract_document(document)
        ingest.index_extracted(document, extracted)
    except ExtractionError as exc:
        _fail(document, str(exc))
    except TRANSIENT_ERRORS as exc:
        logger.warning("indexing document %s interrupted (%s: %s); it is retried", document_id, type(exc).__name__, exc)
        with contextlib.suppress(*TRANSIENT_ERRORS):  # the database itself may be what is gone
            Document.objects.filter(pk=document_id, claimed_by=document.claimed_by).update(
                status=Document.Status.UPLOADED,
                error=stored_text(
                    gettext_noop("A temporary problem interrupted indexing (%(kind)s); it is retried automatically."),
                    kind=type(exc).__name__,
                ),
            )
        raise TransientIndexError(str(exc)) from exc
    except Exception as exc:
        logger.exception("indexing document %s failed", document_id)
        _fail(document, f"Indexing failed unexpectedly ({type(exc).__name__}: {exc}). Retry, or contact support.")
        raise
    else:
        ingest.mark_indexed(document)
    return document


def documents_requeue_stuck() -> list[int]:
    """Queue again the documents of this tenant that are stuck (the beat sweeper, every KB_SWEEP_SECONDS).

    Stuck: uploaded but never handed to the broker (it was down), queued or processing without a
    sign of life for KB_STUCK_AFTER_SECONDS (a lost message, a dead worker). Returns their ids.
    """
    since = timezone.now() - timedelta(seconds=settings.KB_STUCK_AFTER_SECONDS)
    stuck = Document.objects.filter(
        Q(status=Document.Status.UPLOADED, queued_at__isnull=True)
        | Q(status=Document.Status.UPLOADED, queued_at__lt=since)
        | Q(status=Document.Status.PROCESSING, claimed_at__lt=since)
        | Q(status=Document.Status.PROCESSING, claimed_at__isnull=True)
    )
    ids = []
    for document in stuck.only("pk", "status"):
        if document.status == Document.Status.PROCESSING:
            # Back to the queue, so that the next run may claim it (and the page says what happened).
            Document.objects.filter(pk=document.pk, status=Document.Status.PROCESSING).update(
                status=Document.Status.UPLOADED,
                error=stored_text(gettext_noop("The indexing run stopped (worker lost); it was queued again.")),
            )
        logger.info("re-queueing stuck document %s (%s)", document.pk, document.status)
        _enqueue(document)
        ids.append(document.pk)
    return ids


def _fail(document: Document, reason: str) -> None:
    document.status = Document.Status.FAILED
    document.error = reason
    document.save(update_fields=["status", "error", "updated_at"])


def document_retry(*, document: Document) -> Document:
    """Queue indexing again (a failed or stuck document, or a fresh crawl of a URL). Unchanged chunks are reused."""
    if document.status == Document.Status.PROCESSING and not document.is_stuck:
        raise ExtractionError(_("The document is being indexed right now."))
    document.status = Document.Status.UPLOADED
    document.error = ""
    document.index_attempts = 0  # a person asked: the attempts start over
    document.save(update_fields=["status", "error", "index_attempts", "updated_at"])
    _enqueue(document)
    return document


@transaction.atomic
def document_archive(*, document: Document, archived: bool = True) -> Document:
    """Archived documents stay listed but their chunks leave search results."""
    document.archived = archived
    document.save(update_fields=["archived", "updated_at"])
    document.chunks.update(archived=archived)
    return document


@transaction.atomic
def document_set_visibility(*, document: Document, visibility: str) -> Document:
    """Public documents answer customers (widget, portal); internal ones only staff. Chunks follow at once."""
    document.visibility = _check_visibility(visibility)
    document.save(update_fields=["visibility", "updated_at"])
    document.chunks.update(visibility=document.visibility)
    return document


@transaction.atomic
def document_delete(*, document: Document) -> None:
    """Delete the document, its chunks and its stored file (after the commit)."""
    file_name, storage = document.file.name, document.file.storage
    document.delete()
    if file_name:
        transaction.on_commit(lambda: storage.delete(file_name))


def chunks_reindex_queue() -> int:
    """Queue re-embedding every chunk with the tenant's active model; returns how many chunks.

    Refused (``SwitchError``) while a model switch runs: the switch re-embeds every chunk itself.
    """
    if embeddings.current_state().target:
        raise SwitchError("A model switch is running: it re-embeds every chunk itself.")
    send_on_commit("knowledge.reembed_chunks")
    return Chunk.objects.count()


def chunks_reembed(*, batch_size: int = 256) -> int:
    """Recompute every chunk's vector with the tenant's active model and refresh its text-search vector.

    To change the model, switch it (``embedding_switch_start``): search keeps working meanwhile.
    """
    state = embeddings.current_state()
    if state.target:
        raise SwitchError("A model switch is running: it re-embeds every chunk itself.")
    key = state.active
    embedder = ai.embedder(key)
    done = 0
    last_id = 0
    while True:
        batch = list(Chunk.objects.filter(pk__gt=last_id).order_by("pk")[:batch_size])
        if not batch:
            return done
        vectors = embedder.embed_passages([f"{c.heading}\n{c.text}" if c.heading else c.text for c in batch])
        with transaction.atomic():
            for chunk, vector in zip(batch, vectors, strict=True):
                chunk.embedding = vector
                chunk.embedding_model = key
            # language: fires the tsvector trigger
            Chunk.objects.bulk_update(batch, ["embedding", "embedding_model", "language"])
        done += len(batch)
        last_id = batch[-1].pk


# --- Switching the embedding model -------------------------------------------------------------------


def embedding_switch_start(*, model: str) -> EmbeddingSwitch:
    """Start switching this tenant's knowledge base to embedding model ``model`` and queue the re-embedding.

    Search keeps using the current model's vectors until every chunk has its new vector; then one
    transaction swaps them in and flips the tenant (``knowledge.embeddings``). Raises ``SwitchError``
    for an unknown or current model, or while another switch runs.
    """
    switch = embeddings.switch_start(model=model)
    send_on_commit("knowledge.switch_embedding_model", switch_id=switch.pk)
    return switch


def embedding_switch_cancel(*, switch: EmbeddingSwitch) -> EmbeddingSwitch:
    """Cancel a running switch: the vectors made so far are dropped and the current model stays."""
    return embeddings.switch_cancel(switch=switch)


def embedding_switch_resume_stale() -> int | None:
    """Send the running switch's task again when it has shown no sign of life (no batch committed) for
    KB_STUCK_AFTER_SECONDS: its message was lost or its worker died (the beat sweeper, every
    KB_SWEEP_SECONDS). The task resumes after the last committed batch. Returns the switch's id."""
    since = timezone.now() - timedelta(seconds=settings.KB_STUCK_AFTER_SECONDS)
    switch = EmbeddingSwitch.objects.filter(status=EmbeddingSwitch.Status.RUNNING, updated_at__lt=since).first()
    if switch is None:
        return None
    # Counts as a sign of life, so the next sweep waits as long again before sending another message.
    EmbeddingSwitch.objects.filter(pk=switch.pk).update(updated_at=timezone.now())
    logger.info("re-sending stalled embedding switch %s to %s", switch.pk, switch.target_model)
    send_on_commit("knowledge.switch_embedding_model", switch_id=switch.pk)
    return switch.pk


def embedding_switch_run(
    *, switch_id: int, on_batch: Callable[[EmbeddingSwitch], None] | None = None
) -> EmbeddingSwitch | None:
    """Do the re-embedding of a switch (the task, or ``kb_embedding_model --wait``), batch by batch."""
    return embeddings.switch_run(switch_id=switch_id, batch_size=settings.KB_SWITCH_BATCH_SIZE, on_batch=on_batch)


# --- Upsert of ready-made chunks (API) --------------------------------------------------------------


@dataclass(frozen=True)
class ChunkInput:
    text: str
    source: str
    external_id: str = ""
    tags: Sequence[str] = ()
    language: str = ""
    # None: the source document keeps its visibility (a new one is internal).
    visibility: str | None = None


@dataclass(frozen=True)
class UpsertResult:
    created: int
    unchanged: int
    document_ids: list[int]


def _upsert_source(source: str, visibility: str | None) -> Document:
    """The ``api`` document of ``source``, created if new, locked until the transaction ends.

    The unique constraint on (api, source) makes a concurrent creation fall back to the
    other's row; the row lock makes concurrent upserts of one source take turns, so each
    sees the other's chunks instead of inserting them again.
    """
    defaults = {"title": source[:300], "status": Document.Status.INDEXED, "visibility": visibility or "internal"}
    document, _ = Document.objects.get_or_create(source=Document.Source.API, external_id=source, defaults=defaults)
    document = Document.objects.select_for_update().get(pk=document.pk)
    if visibility and document.visibility != visibility:
        document.visibility = visibility
        document.save(update_fields=["visibility", "updated_at"])
        document.chunks.update(visibility=visibility)
    return document


@transaction.atomic
def chunks_upsert(*, items: Sequence[ChunkInput]) -> UpsertResult:
    """Store chunks pushed by an external system, idempotent by (source, SHA-256 of the text).

    Each distinct ``source`` becomes one ``api`` document. A text longer than the chunk
    size is split like any document. Known texts are left alone (their tags and
    external id are refreshed); only new texts are embedded. Safe under concurrency:
    two upserts of the same source at once give one document and no duplicate chunk.
    """
    for item in items:
        if item.visibility is not None:
            _check_visibility(item.visibility)
    embedder = ai.embedder()
    chunker = ingest.chunker_for(embedder)
    created = unchanged = 0
    by_source: dict[str, list[ChunkInput]] = {}
    for item in items:
        by_source.setdefault(item.source, []).append(item)
    documents: dict[str, Document] = {}
    for source in sorted(by_source):  # one lock order for every caller: no deadlock between two upserts
        visibility = next((i.visibility for i in reversed(by_source[source]) if i.visibility), None)
        documents[source] = _upsert_source(source, visibility)
    for source, document in documents.items():
        for item in by_source[source]:
            drafts = chunker.chunk([Section(heading="", paragraphs=paragraphs_of(item.text))])
            known = document.chunks.filter(sha256__in=[d.sha256 for d in drafts])
            existing = dict(known.values_list("sha256", "id"))
            tags = _clean_tags(item.tags)
            Chunk.objects.filter(pk__in=existing.values()).update(tags=tags, external_id=item.external_id)
            new = list({d.sha256: d for d in drafts if d.sha256 not in existing}.values())
            unchanged += len(drafts) - len(new)
            if not new:
                continue
            start = (document.chunks.aggregate(top=Max("position"))["top"] or 0) + 1
            texts = [d.embed_text for d in new]
            state, vectors = embeddings.vectors_for_write(texts, {})
            Chunk.objects.bulk_create(
                Chunk(
                    **embeddings.chunk_vector_fields(state, vectors, offset),
                    document=document,
                    position=start + offset,
                    text=draft.text,
                    token_count=draft.token_count,
                    sha256=draft.sha256,
                    language=item.language or ingest.detect_language(draft.text),
                    tags=tags,
                    external_id=item.external_id,
                    archived=document.archived,
                    visibility=document.visibility,
                )
                for offset, draft in enumerate(new)
            )
            created += len(new)
    for document in documents.values():
        document.chunks_total = document.chunks.count()
        document.save(update_fields=["chunks_total", "updated_at"])
    return UpsertResult(created=created, unchanged=unchanged, document_ids=[d.pk for d in documents.values()])


ACCEPTED_TYPES_TEXT = ", ".join(ACCEPTED_EXTENSIONS)
