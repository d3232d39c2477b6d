"""Which model the chunks' vectors come from, and the switch of a tenant from one model to another.

Called from ``knowledge.services`` (and, for the write-time vectors, from ``knowledge.ingest``).

A switch (``EmbeddingSwitch``) re-embeds every chunk with the target model into
``Chunk.embedding_next``, one committed batch at a time, while search keeps using ``embedding``
(the source model, which stays the tenant's ``embedding_model``). Chunks written meanwhile get
both vectors. When no chunk lacks its next vector, one transaction moves ``embedding_next`` into
``embedding``, relabels the chunks and flips the tenant. A cancelled or failed switch clears
``embedding_next`` and leaves the old model in service.

Writers and the swap meet on a table lock: a writer takes ROW EXCLUSIVE on ``knowledge_chunk``
before it reads the state (``locked_state``), the swap takes SHARE (which waits for writers and
holds them off, but lets search read). So a writer either finishes before the swap, having seen
the running switch and stored both vectors, or starts after it and sees the new model.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_noop

from helpdesk import ai
from helpdesk.stored_text import stored_text
from helpdesk.tenants.db import connection
from helpdesk.tenants.models import Tenant
from knowledge.models import Chunk, EmbeddingSwitch

logger = logging.getLogger(__name__)


class SwitchError(ValueError):
    """A switch that cannot start or be cancelled; the message says why."""


@dataclass(frozen=True)
class State:
    """The tenant's active model and, while a switch runs, its target."""

    active: str
    target: str | None = None

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.active, self.target) if self.target else (self.active,)


def _tenant() -> Tenant:
    return Tenant.objects.get(schema_name=connection.schema_name)


def current_state() -> State:
    """The state as stored now (the tenant row and the running switch), not as cached on the connection."""
    running = EmbeddingSwitch.objects.filter(status=EmbeddingSwitch.Status.RUNNING).first()
    return State(active=_tenant().embedding_model, target=running.target_model if running else None)


def locked_state() -> State:
    """Inside a transaction that writes chunks: the state that holds until it commits (see the module)."""
    with connection.cursor() as cursor:
        cursor.execute("LOCK TABLE knowledge_chunk IN ROW EXCLUSIVE MODE")
    return current_state()


Vectors = dict[str, np.ndarray]


def embed_passages(texts: Sequence[str], state: State) -> Vectors:
    """Passage vectors of ``texts`` from every model ``state`` needs."""
    return {key: ai.embedder(key).embed_passages(list(texts)) for key in state.keys}


def vectors_for_write(texts: Sequence[str], computed: Vectors) -> tuple[State, Vectors]:
    """Inside the writing transaction: the state under the lock, with vectors of every model it needs
    (those computed before the state changed are reused, any missing one is computed now)."""
    state = locked_state()
    missing = [key for key in state.keys if key not in computed]
    if missing:
        computed = {**computed, **embed_passages(texts, State(*missing))}
    return state, computed


def chunk_vector_fields(state: State, vectors: Vectors, index: int) -> dict[str, object]:
    """The vector fields of the ``index``-th chunk of a batch."""
    return {
        "embedding": vectors[state.active][index],
        "embedding_model": state.active,
        "embedding_next": vectors[state.target][index] if state.target else None,
    }


# --- The switch -------------------------------------------------------------------------------------


def switch_start(*, model: str) -> EmbeddingSwitch:
    """Start switching the current tenant to ``model``; the caller queues ``switch_run``."""
    try:
        ai.check_model_key(model)
    except ValueError as exc:
        raise SwitchError(str(exc)) from None
    tenant = _tenant()
    if tenant.embedding_model == model:
        raise SwitchError(f"The knowledge base already uses {model!r}.")
    try:
        with transaction.atomic():
            return EmbeddingSwitch.objects.create(
                source_model=tenant.embedding_model, target_model=model, total=Chunk.objects.count()
            )
    except IntegrityError:
        raise SwitchError("A model switch is already running; wait for it or cancel it.") from None


def switch_cancel(*, switch: EmbeddingSwitch) -> EmbeddingSwitch:
    """Stop a running switch: the old model stays; the task stops after its current batch."""
    with transaction.atomic():
        updated = EmbeddingSwitch.objects.filter(pk=switch.pk, status=EmbeddingSwitch.Status.RUNNING).update(
            status=EmbeddingSwitch.Status.CANCELLED, finished_at=timezone.now()
        )
        if not updated:
            raise SwitchError("This switch is not running.")
        _clear_next()
    switch.refresh_from_db()
    return switch


def _clear_next() -> None:
    Chunk.objects.filter(embedding_next__isnull=False).update(embedding_next=None)


def _text(chunk: Chunk) -> str:
    return f"{chunk.heading}\n{chunk.text}" if chunk.heading else chunk.text


def switch_run(
    *, switch_id: int, batch_size: int, on_batch: Callable[[EmbeddingSwitch], None] | None = None
) -> EmbeddingSwitch | None:
    """Re-embed every chunk lacking its next vector with the target model, batch by batch, then swap.

    Each batch commits with the progress. Stops when the switch is no longer running (cancelled).
    A failing batch marks the switch failed with the reason and leaves the old model in service.
    Returns None when the switch is gone.
    """
    switch = EmbeddingSwitch.objects.filter(pk=switch_id).first()
    if switch is None or not switch.running:
        return switch
    target = ai.embedder(switch.target_model)
    try:
        while True:
            batch = list(
                Chunk.objects.filter(embedding_next__isnull=True)
                .order_by("pk")
                .only("pk", "heading", "text")[:batch_size]
            )
            if not batch:
                if _swap(switch):
                    break
                continue
            vectors = target.embed_passages([_text(c) for c in batch])
            with transaction.atomic():
                # Locked: a cancel between the embedding and this write must not be overwritten.
                current = EmbeddingSwitch.objects.select_for_update().get(pk=switch.pk)
                if not current.running:
                    return current
                for chunk, vector in zip(batch, vectors, strict=True):
                    chunk.embedding_next = vector
                Chunk.objects.bulk_update(batch, ["embedding_next"])
                current.done = Chunk.objects.filter(embedding_next__isnull=False).count()
                current.total = Chunk.objects.count()
                current.save(update_fields=["done", "total", "updated_at"])
            switch = current
            if on_batch is not None:
                on_batch(switch)
    except Exception as exc:
        logger.exception("switching the embedding model (switch %s) failed", switch_id)
        with transaction.atomic():
            failed = EmbeddingSwitch.objects.filter(pk=switch_id, status=EmbeddingSwitch.Status.RUNNING).update(
                status=EmbeddingSwitch.Status.FAILED,
                error=stored_text(
                    gettext_noop("Re-embedding failed (%(error)s); the previous model stays in use."),
                    error=f"{type(exc).__name__}: {exc}",
                ),
                finished_at=timezone.now(),
            )
            if failed:
                _clear_next()
        raise
    switch.refresh_from_db()
    return switch


def _swap(switch: EmbeddingSwitch) -> bool:
    """Swap the vectors in, relabel the chunks and flip the tenant in one transaction; False when a chunk
    written meanwhile still lacks its next vector (the caller embeds it and tries again)."""
    with transaction.atomic():
        current = EmbeddingSwitch.objects.select_for_update().get(pk=switch.pk)
        if not current.running:
            return True
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE knowledge_chunk IN SHARE MODE")
        if Chunk.objects.filter(embedding_next__isnull=True).exists():
            return False
        Chunk.objects.update(embedding=F("embedding_next"), embedding_model=current.target_model)
        _clear_next()
        Tenant.objects.filter(schema_name=connection.schema_name).update(embedding_model=current.target_model)
        current.status = EmbeddingSwitch.Status.DONE
        current.done = current.total = Chunk.objects.count()
        current.finished_at = timezone.now()
        current.save(update_fields=["status", "done", "total", "finished_at", "updated_at"])
    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Tenant):  # the tenant cached on the connection follows at once
        tenant.embedding_model = current.target_model
    return True
