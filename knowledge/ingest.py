"""The indexing pipeline of one document: extract → chunk → embed (changed chunks only) → upsert.

Called by ``knowledge.services.document_index`` inside the Celery task. Chunks
are written batch by batch (each batch commits), so progress is visible while
it runs and a retry after a crash re-embeds only what is missing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from helpdesk import ai
from helpdesk.ai import Embedder
from knowledge import embeddings
from knowledge.chunking import ChunkDraft, Chunker
from knowledge.crawl import crawl
from knowledge.extract import Extracted, ExtractionError, extract_file, parse_markdown
from knowledge.metrics import INDEXED_CHUNKS
from knowledge.models import Chunk, Document

# Chunks embedded per progress step (one UPDATE of the document each).
PROGRESS_BATCH = 128
_CYRILLIC = range(0x0400, 0x0530)


def detect_language(text: str) -> str:
    """``ru`` when most letters are Cyrillic, else ``en``: enough to pick the stemmer."""
    letters = [ch for ch in text[:2000] if ch.isalpha()]
    if not letters:
        return ""
    cyrillic = sum(1 for ch in letters if ord(ch) in _CYRILLIC)
    return "ru" if cyrillic > len(letters) / 2 else "en"


def chunker_for(embedder: Embedder) -> Chunker:
    size = min(settings.KB_CHUNK_TOKENS, embedder.max_tokens - 2)
    return Chunker(
        size=size,
        overlap=settings.KB_CHUNK_OVERLAP,
        count_tokens=embedder.count_tokens,
        token_windows=embedder.token_windows,
    )


def extract_document(document: Document) -> Extracted:
    if document.source == Document.Source.URL:

        def on_page(pages: int) -> None:
            Document.objects.filter(pk=document.pk).update(pages_total=pages, claimed_at=timezone.now())

        result = crawl(
            document.url,
            max_pages=settings.KB_CRAWL_MAX_PAGES,
            max_depth=settings.KB_CRAWL_MAX_DEPTH,
            timeout=settings.KB_CRAWL_TIMEOUT_SECONDS,
            user_agent=settings.KB_CRAWL_USER_AGENT,
            max_page_bytes=settings.KB_CRAWL_MAX_PAGE_MB * 1024 * 1024,
            on_page=on_page,
        )
        return result.as_extracted()
    if document.source == Document.Source.UPLOAD:
        if not document.file:
            raise ExtractionError("The uploaded file is missing; upload it again.")
        try:
            with document.file.open("rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise ExtractionError(f"The uploaded file cannot be read ({exc}); upload it again.") from exc
        return extract_file(document.filename or document.file.name, data)
    return parse_markdown(document.text, what="text")


def index_extracted(document: Document, extracted: Extracted) -> None:
    """Store ``extracted`` as the document's chunks, embedding only those whose text changed."""
    embedder = ai.embedder()
    drafts = chunker_for(embedder).chunk(extracted.sections)
    if not drafts:
        raise ExtractionError("The document contains no text to index.")
    existing = dict(document.chunks.values_list("sha256", "id"))
    fresh = [d for d in drafts if d.sha256 not in existing]
    kept = [d for d in drafts if d.sha256 in existing]
    document.checksum = hashlib.sha256(extracted.text.encode("utf-8")).hexdigest()
    document.pages_total = extracted.pages
    document.chunks_total = len(drafts)
    document.chunks_reused = len(kept)
    document.chunks_embedded = 0
    # A title the user did not choose (the file name, the URL) gives way to the document's own.
    if extracted.title and document.title in {"", document.filename, PurePath(document.filename).stem, document.url}:
        document.title = extracted.title[:300]
    document.claimed_at = timezone.now()  # a heartbeat: extraction and chunking are done
    document.save(
        update_fields=[
            "checksum", "pages_total", "chunks_total", "chunks_reused", "chunks_embedded", "title", "claimed_at"
        ]
    )  # fmt: skip
    state = embeddings.current_state()
    for start in range(0, len(fresh), PROGRESS_BATCH):
        batch = fresh[start : start + PROGRESS_BATCH]
        texts = [d.embed_text for d in batch]
        computed = embeddings.embed_passages(texts, state)
        with transaction.atomic():
            # During a model switch each chunk gets the vectors of both models (see knowledge.embeddings).
            state, computed = embeddings.vectors_for_write(texts, computed)
            Chunk.objects.bulk_create(
                [
                    _chunk_row(document, draft, embeddings.chunk_vector_fields(state, computed, i))
                    for i, draft in enumerate(batch)
                ],
                ignore_conflicts=True,  # a concurrent run stored it already: same text, same vector
            )
            Document.objects.filter(pk=document.pk).update(
                chunks_embedded=F("chunks_embedded") + len(batch),
                claimed_at=timezone.now(),  # the heartbeat
            )
        INDEXED_CHUNKS.labels(source=document.source).inc(len(batch))
    with transaction.atomic():
        _update_kept(document, kept, existing)
        keep_hashes = {d.sha256 for d in drafts}
        document.chunks.exclude(sha256__in=keep_hashes).delete()


def _chunk_row(document: Document, draft: ChunkDraft, vector_fields: Mapping[str, Any]) -> Chunk:
    return Chunk(
        **vector_fields,
        document=document,
        position=draft.position,
        text=draft.text,
        heading=draft.heading[:500],
        token_count=draft.token_count,
        sha256=draft.sha256,
        language=document.language or detect_language(draft.embed_text),
        tags=list(document.tags),
        external_id=document.external_id,
        metadata=draft.metadata,
        archived=document.archived,
        visibility=document.visibility,
    )


def _update_kept(document: Document, kept: list[ChunkDraft], existing: dict[str, int]) -> None:
    """Unchanged chunks keep their rows and vectors; only their place and the document's labels follow."""
    if not kept:
        return
    rows = Chunk.objects.in_bulk([existing[d.sha256] for d in kept])
    changed = []
    for draft in kept:
        row = rows[existing[draft.sha256]]
        language = document.language or row.language
        update = (
            draft.position,
            list(document.tags),
            document.external_id,
            draft.metadata,
            language,
            document.visibility,
        )
        if (row.position, row.tags, row.external_id, row.metadata, row.language, row.visibility) != update:
            row.position, row.tags, row.external_id, row.metadata, row.language, row.visibility = update
            changed.append(row)
    Chunk.objects.bulk_update(changed, ["position", "tags", "external_id", "metadata", "language", "visibility"])


def mark_indexed(document: Document) -> None:
    document.status = Document.Status.INDEXED
    document.error = ""
    document.indexed_at = timezone.now()
    document.index_attempts = 0
    document.save(update_fields=["status", "error", "indexed_at", "index_attempts", "updated_at"])
