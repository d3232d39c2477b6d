"""Thin Celery tasks of the knowledge base: ids in, a service does the work."""

from __future__ import annotations

from helpdesk.celery import app
from knowledge import services


@app.task(name="knowledge.index_document")
def index_document(document_id: int) -> str:
    """Index one document (extract, chunk, embed changed chunks); a deleted row is skipped."""
    document = services.document_index(document_id=document_id)
    return document.status if document is not None else "skipped"


@app.task(name="knowledge.reembed_chunks")
def reembed_chunks() -> int:
    """Re-embed every chunk of the tenant with the configured model."""
    return services.chunks_reembed()
