"""Dataset runs, writes and classifier retrains never stay queued or running forever; long runs are announced."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone

from datasets import jobs, pipeline, services
from datasets.models import Classifier, Row, Run
from datasets.steps.label import LabelStep
from datasets.tasks import sweep_stuck_jobs
from datasets.tests.conftest import MAPPING, csv_bytes, process, rows_of, upload
from helpdesk.stored_text import shown_text


def ago(seconds: float) -> Any:
    return timezone.now() - timedelta(seconds=seconds)


def test_a_run_the_broker_never_took_is_sent_again_and_a_sent_one_only_when_its_message_is_old(
    dataset, small_sample, published, settings, django_capture_on_commit_callbacks
):
    settings.JOBS_REQUEUE_AFTER_SECONDS = 300
    source = upload(dataset, csv_bytes(rows_of(small_sample)))
    lost = services.run_create(upload=source, mapping=MAPPING, options={})  # the broker was down: no queued_at
    fresh = services.run_create(upload=source, mapping=MAPPING, options={})
    Run.objects.filter(pk=fresh.pk).update(queued_at=ago(10))
    old = services.run_create(upload=source, mapping=MAPPING, options={})
    Run.objects.filter(pk=old.pk).update(queued_at=ago(600))
    with django_capture_on_commit_callbacks(execute=True):
        swept = jobs.jobs_sweep()
    assert sorted(swept["requeued"]) == sorted([lost.pk, old.pk])
    assert sorted(args[0] for name, args, _ in published if name == "datasets.process_run") == sorted([lost.pk, old.pk])
    # The broker took them: they are not sent again on the next sweep.
    assert Run.objects.get(pk=lost.pk).queued_at is not None
    published.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.jobs_sweep()["requeued"] == []


def test_a_write_that_no_worker_took_is_sent_again_and_written_once(
    dataset, small_sample, manager, published, django_capture_on_commit_callbacks
):
    run = process(upload(dataset, csv_bytes(rows_of(small_sample))))
    assert run.status == Run.Status.READY
    services.run_write_request(run=run, by=manager)  # its message was lost
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.jobs_sweep()["requeued"] == [run.pk]
    assert [name for name, _, _ in published] == ["datasets.write_run"]
    assert pipeline.run_write(run_id=run.pk, author_id=manager.pk) is not None
    assert Run.objects.get(pk=run.pk).status == Run.Status.DONE
    # A second copy of the message (the original arrives late) writes nothing more.
    assert pipeline.run_write(run_id=run.pk, author_id=manager.pk) is None


def test_a_run_whose_worker_went_silent_is_stopped_with_the_reason_and_its_partial_rows_go(
    dataset, small_sample, settings
):
    settings.JOBS_STALE_SECONDS = 600
    run = process(upload(dataset, csv_bytes(rows_of(small_sample))))
    Run.objects.filter(pk=run.pk).update(status=Run.Status.RUNNING, started_at=ago(900), heartbeat_at=ago(700))
    alive = process(upload(dataset, csv_bytes(rows_of(small_sample))))
    Run.objects.filter(pk=alive.pk).update(status=Run.Status.RUNNING, started_at=ago(900), heartbeat_at=ago(5))
    assert sweep_stuck_jobs()["acme"]["stopped"] == [run.pk]
    run.refresh_from_db()
    assert run.status == Run.Status.FAILED and not run.active
    assert (
        shown_text(run.error) == "Stopped: the worker went silent for more than 10 min (it was stopped or restarted)."
    )
    assert not Row.objects.filter(run=run).exists()
    assert Run.objects.get(pk=alive.pk).status == Run.Status.RUNNING


def test_a_run_past_its_time_limit_says_it_took_too_long(dataset, small_sample, settings):
    settings.CELERY_TASK_TIME_LIMIT = 3600
    run = process(upload(dataset, csv_bytes(rows_of(small_sample))))
    Run.objects.filter(pk=run.pk).update(status=Run.Status.RUNNING, started_at=ago(3700), heartbeat_at=ago(3650))
    jobs.jobs_sweep()
    run.refresh_from_db()
    assert (run.status, shown_text(run.error)) == (Run.Status.FAILED, "Stopped: took longer than 1 h.")


def test_the_soft_time_limit_inside_a_step_stops_the_run_with_the_reason(dataset, small_sample, monkeypatch, settings):
    settings.CELERY_TASK_TIME_LIMIT = 3600

    def too_long(self, context):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(LabelStep, "run", too_long)
    run = process(upload(dataset, csv_bytes(rows_of(small_sample))))
    assert (run.status, shown_text(run.error)) == (Run.Status.FAILED, "Stopped: took longer than 1 h.")
    assert shown_text(run.step_state("label")["error"]) == "Stopped: took longer than 1 h."
    assert not Row.objects.filter(run=run).exists()


def test_a_retrain_is_sent_again_when_the_broker_lost_it_and_a_dead_one_fails(
    written, published, settings, django_capture_on_commit_callbacks
):
    version = written.version
    with django_capture_on_commit_callbacks(execute=False):  # the publish never happens (broker down)
        services.classifier_retrain(version=version)
    classifier = Classifier.objects.get(version=version)
    assert classifier.status == Classifier.Status.TRAINING and classifier.queued_at is None
    with django_capture_on_commit_callbacks(execute=True):
        jobs.jobs_sweep()
    assert [(name, args) for name, args, _ in published] == [("datasets.train_classifier", (version.pk,))]
    Classifier.objects.filter(pk=classifier.pk).update(heartbeat_at=ago(settings.JOBS_STALE_SECONDS + 5))
    jobs.jobs_sweep()
    classifier.refresh_from_db()
    assert classifier.status == Classifier.Status.FAILED and "stopped before it finished" in classifier.error


def test_a_run_longer_than_the_time_limit_is_announced_on_the_page_and_in_the_api(
    dataset, small_sample, manager_client, api, settings
):
    settings.CELERY_TASK_TIME_LIMIT = 3600
    settings.DATASETS_ROWS_PER_SECOND = 0.005  # 24 rows take 80 min at this speed
    source = upload(dataset, csv_bytes(rows_of(small_sample)))
    page = manager_client.get(f"/datasets/uploads/{source.pk}/")
    assert page.status_code == 200
    assert b"longer than a worker may run a job (1 h)" in page.content
    body = api.post("/api/v1/datasets/process", {"upload_id": source.pk}, content_type="application/json").json()
    assert body["estimate"]["exceeds_limit"] is True and body["estimate"]["limit_seconds"] == 3600
    settings.DATASETS_ROWS_PER_SECOND = 50
    assert b"longer than a worker may run" not in manager_client.get(f"/datasets/uploads/{source.pk}/").content
