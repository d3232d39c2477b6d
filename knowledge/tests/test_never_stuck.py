"""Indexing is never stuck: claims, transient errors, the attempt limit, the sweeper, Retry in the pages.

The end-to-end proofs with a real worker that dies and a broker that is down are in
``test_never_stuck_worker.py``.
"""

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from knowledge import ingest, services
from knowledge.models import Chunk, Document, EmbeddingSwitch
from knowledge.tasks import sweep_stuck_documents, sweep_stuck_switches
from knowledge.tests.conftest import index_text

pytestmark = pytest.mark.usefixtures("in_acme")


def pending(title: str = "Returns", **fields) -> Document:
    document = services.document_create_from_text(
        title=title, text="# Returns\n\nReturns are free within 30 days.", enqueue=False
    )
    if fields:
        Document.objects.filter(pk=document.pk).update(**fields)
        document.refresh_from_db()
    return document


def run(document_id: int, claim: str) -> Document:
    """One indexing run that must take place (the claim succeeds)."""
    result = services.document_index(document_id=document_id, claim=claim)
    assert result is not None, "the run did not get the claim"
    return result


def ago(seconds: float):
    return timezone.now() - timedelta(seconds=seconds)


def test_a_task_claims_queued_documents_only(settings):
    queued = pending()
    assert run(queued.pk, "task-1").status == Document.Status.INDEXED
    # A duplicate message (a sweep raced the original) finds the work done and leaves it.
    assert services.document_index(document_id=queued.pk, claim="task-2") is None


def test_a_live_run_is_not_taken_over_but_a_dead_one_is(settings):
    settings.KB_STUCK_AFTER_SECONDS = 60
    live = pending(status=Document.Status.PROCESSING, claimed_by="task-1", claimed_at=ago(5))
    assert services.document_index(document_id=live.pk, claim="task-2") is None
    assert services.document_index(document_id=live.pk) is None  # nor by a direct call
    dead = pending("Dead", status=Document.Status.PROCESSING, claimed_by="task-1", claimed_at=ago(120))
    assert run(dead.pk, "task-2").status == Document.Status.INDEXED


def test_the_same_task_takes_its_own_claim_back_after_a_redelivery():
    mine = pending(status=Document.Status.PROCESSING, claimed_by="task-1", claimed_at=timezone.now())
    assert run(mine.pk, "task-1").status == Document.Status.INDEXED


def test_a_transient_error_gives_the_document_back_and_raises_for_a_retry(monkeypatch):
    document = pending()

    def database_gone(_document):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(ingest, "extract_document", database_gone)
    with pytest.raises(services.TransientIndexError):
        services.document_index(document_id=document.pk, claim="task-1")
    document.refresh_from_db()
    assert document.status == Document.Status.UPLOADED
    assert "retried automatically" in document.error
    monkeypatch.undo()
    retried = run(document.pk, "task-1")
    assert retried.status == Document.Status.INDEXED and retried.error == "" and retried.index_attempts == 0


def test_runs_that_never_finish_end_as_failed_after_the_attempt_limit(settings):
    settings.KB_INDEX_MAX_ATTEMPTS = 3
    document = pending(index_attempts=3)
    failed = run(document.pk, "task-9")
    assert failed.status == Document.Status.FAILED
    assert "started 3 times without finishing" in failed.error
    services.document_retry(document=failed)  # a person retries: the count starts over
    assert run(document.pk, "task-10").status == Document.Status.INDEXED


def test_the_sweeper_requeues_what_is_stuck_and_leaves_the_rest(settings, django_capture_on_commit_callbacks):
    settings.KB_STUCK_AFTER_SECONDS = 60
    never_queued = pending("Never queued")  # the broker was down at upload
    lost_message = pending("Lost", queued_at=ago(120))
    dead_worker = pending("Dead", status=Document.Status.PROCESSING, claimed_by="t", claimed_at=ago(120))
    just_queued = pending("Fresh", queued_at=ago(5))
    working = pending("Working", status=Document.Status.PROCESSING, claimed_by="t", claimed_at=ago(5))
    done = pending("Done", status=Document.Status.INDEXED, queued_at=ago(3600))

    with django_capture_on_commit_callbacks() as publishes:
        requeued = services.documents_requeue_stuck()
    assert sorted(requeued) == sorted([never_queued.pk, lost_message.pk, dead_worker.pk])
    assert len(publishes) == 3
    dead_worker.refresh_from_db()
    assert dead_worker.status == Document.Status.UPLOADED and "worker lost" in dead_worker.error
    for untouched in (just_queued, working, done):
        before = untouched.status
        untouched.refresh_from_db()
        assert untouched.status == before


def test_beat_runs_the_sweeper_in_every_tenant(settings, globex):
    from django_tenants.utils import tenant_context

    assert settings.CELERY_BEAT_SCHEDULE["knowledge-sweep-stuck-documents"] == {
        "task": "knowledge.sweep_stuck_documents",
        "schedule": settings.KB_SWEEP_SECONDS,
    }
    acme_doc = pending()
    with tenant_context(globex):
        globex_doc = pending("Globex")
    assert sweep_stuck_documents() == {"acme": [acme_doc.pk], "globex": [globex_doc.pk]}


def test_the_pages_show_stuck_documents_with_retry(settings, acme, manager):
    from conftest import ACME_HOST, login_client

    settings.KB_STUCK_AFTER_SECONDS = 60
    waiting = pending("Waiting for the queue")
    dead = pending("Dead run", status=Document.Status.PROCESSING, claimed_by="t", claimed_at=ago(600))
    live = pending("Live run", status=Document.Status.PROCESSING, claimed_by="t", claimed_at=ago(5), queued_at=ago(6))
    client = login_client(acme, manager, ACME_HOST)

    rows = client.get("/knowledge/").content.decode()
    assert "Waiting for the task queue" in rows and "the worker may have stopped" in rows
    for document, retry_shown in ((waiting, True), (dead, True), (live, False)):
        assert (f"/knowledge/{document.pk}/retry/" in rows) is retry_shown, document.title
        detail = client.get(f"/knowledge/{document.pk}/").content.decode()
        assert (f"/knowledge/{document.pk}/retry/" in detail) is retry_shown, document.title

    assert client.post(f"/knowledge/{dead.pk}/retry/").status_code == 302
    dead.refresh_from_db()
    assert dead.status == Document.Status.UPLOADED and dead.index_attempts == 0
    assert client.post(f"/knowledge/{live.pk}/retry/").status_code == 302
    live.refresh_from_db()
    assert live.status == Document.Status.PROCESSING  # a live run is not interrupted ("being indexed right now")


def test_outsider_cannot_retry_another_tenants_document(outsider_client):
    document = pending(status=Document.Status.PROCESSING, claimed_at=ago(10_000))
    assert outsider_client.post(f"/knowledge/{document.pk}/retry/").status_code == 404


def test_a_switch_whose_message_was_lost_is_sent_again_and_finishes(settings, django_capture_on_commit_callbacks):
    settings.KB_STUCK_AFTER_SECONDS = 60
    index_text("Returns", "# Returns\n\nReturns are free within 30 days of delivery.")
    with django_capture_on_commit_callbacks():  # the message is never delivered
        switch = services.embedding_switch_start(model="e5")
    with django_capture_on_commit_callbacks() as publishes:
        assert services.embedding_switch_resume_stale() is None  # just started: not stalled yet
    assert publishes == []

    EmbeddingSwitch.objects.filter(pk=switch.pk).update(updated_at=ago(120))
    assert settings.CELERY_BEAT_SCHEDULE["knowledge-sweep-stuck-switches"] == {
        "task": "knowledge.sweep_stuck_switches",
        "schedule": settings.KB_SWEEP_SECONDS,
    }
    with django_capture_on_commit_callbacks() as publishes:
        assert sweep_stuck_switches() == {"acme": switch.pk}
    assert len(publishes) == 1
    with django_capture_on_commit_callbacks() as publishes:
        assert sweep_stuck_switches() == {}  # it was sent again just now: the next sweep waits
    assert publishes == []

    finished = services.embedding_switch_run(switch_id=switch.pk)  # what the re-sent message runs
    assert finished is not None and finished.status == EmbeddingSwitch.Status.DONE
    assert set(Chunk.objects.values_list("embedding_model", flat=True)) == {"e5"}
