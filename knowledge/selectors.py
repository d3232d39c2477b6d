"""Reads of the knowledge base, scoped to the current tenant's schema."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from knowledge.models import Chunk, Document, EmbeddingSwitch


def document_list(*, status: str = "", query: str = "", archived: bool | None = None) -> QuerySet[Document]:
    documents = Document.objects.all()
    if status:
        documents = documents.filter(status=status)
    if query:
        documents = documents.filter(title__icontains=query)
    if archived is not None:
        documents = documents.filter(archived=archived)
    return documents


def document_get(pk: int | str) -> Document:
    """The document of this tenant, or 404 (ids of other tenants' documents do not exist here)."""
    return get_object_or_404(Document, pk=pk)


def chunk_list(*, document: Document) -> QuerySet[Chunk]:
    return document.chunks.order_by("position").defer("embedding", "search_vector")


def documents_in_progress(ids: list[int]) -> bool:
    return Document.objects.filter(
        pk__in=ids, status__in=[Document.Status.UPLOADED, Document.Status.PROCESSING]
    ).exists()


def documents_by_ids(ids: list[int]) -> dict[int, Document]:
    return Document.objects.in_bulk(ids) if ids else {}


def embedding_switch_current() -> EmbeddingSwitch | None:
    """The running model switch, or else the latest one."""
    return (
        EmbeddingSwitch.objects.filter(status=EmbeddingSwitch.Status.RUNNING).first() or EmbeddingSwitch.objects.first()
    )
