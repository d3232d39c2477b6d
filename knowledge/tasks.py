"""Thin Celery tasks of the knowledge base: ids in, a service does the work."""

from __future__ import annotations

from django.conf import settings
from django_tenants.utils import tenant_context

from helpdesk.celery import app
from helpdesk.tenants.selectors import tenant_list
from knowledge import services


# Indexing is idempotent (chunks upsert by hash; the run claims the document), so a message is
# acknowledged only when the run ends, and given back when the worker process dies under it.
# Transient errors retry with exponential backoff and jitter; the document's attempt counter
# (KB_INDEX_MAX_ATTEMPTS) ends any loop of retries, redeliveries and sweeps.
@app.task(
    bind=True,
    name="knowledge.index_document",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(services.TransientIndexError, *services.TRANSIENT_ERRORS),
    max_retries=settings.KB_INDEX_MAX_ATTEMPTS,
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
)
def index_document(self, document_id: int) -> str:  # type: ignore[no-untyped-def]
    """Index one document (extract, chunk, embed changed chunks); a deleted or busy row is skipped."""
    document = services.document_index(document_id=document_id, claim=self.request.id or "task")
    return document.status if document is not None else "skipped"


@app.task(name="knowledge.reembed_chunks", ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def reembed_chunks() -> int:
    """Re-embed every chunk of the tenant with the configured model."""
    return services.chunks_reembed()


# One task per switch; a redelivered message resumes where the last committed batch ended.
@app.task(name="knowledge.switch_embedding_model", ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def switch_embedding_model(switch_id: int) -> str:
    """Re-embed every chunk with a switch's target model, then swap it in (``knowledge.embeddings``)."""
    switch = services.embedding_switch_run(switch_id=switch_id)
    return switch.status if switch is not None else "gone"


@app.task(name="knowledge.sweep_stuck_documents", ignore_result=True)
def sweep_stuck_documents() -> dict[str, list[int]]:
    """Beat, every KB_SWEEP_SECONDS: queue again the stuck documents of every tenant."""
    requeued = {}
    for tenant in tenant_list():
        with tenant_context(tenant):
            ids = services.documents_requeue_stuck()
        if ids:
            requeued[tenant.schema_name] = ids
    return requeued


@app.task(name="knowledge.sweep_stuck_switches", ignore_result=True)
def sweep_stuck_switches() -> dict[str, int]:
    """Beat, every KB_SWEEP_SECONDS: send again the stalled embedding-model switch of every tenant."""
    resumed = {}
    for tenant in tenant_list():
        with tenant_context(tenant):
            switch_id = services.embedding_switch_resume_stale()
        if switch_id is not None:
            resumed[tenant.schema_name] = switch_id
    return resumed
