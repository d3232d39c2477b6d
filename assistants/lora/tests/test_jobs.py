"""Training jobs never stay queued or running forever, long ones are announced, the training queue has its own limit."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tenants.utils import tenant_context

from assistants.lora import services, training
from assistants.lora.models import Adapter, Failure, Status
from assistants.lora.tasks import adapter_train, sweep_stuck_jobs
from assistants.lora.tests.test_versions import API, FORM, PAIRS
from datasets.tasks import process_run
from helpdesk.stored_text import shown_text

JSONL = "\n".join(f'{{"question": "{p["question"]}", "answer": "{p["answer"]}"}}' for p in PAIRS)


@pytest.fixture
def bot(acme, assistant_in):
    return assistant_in(acme)


def ago(seconds: float):
    return timezone.now() - timedelta(seconds=seconds)


def job(bot, **fields) -> Adapter:
    adapter = services.adapter_request(
        assistant=bot, sources=[], upload=SimpleUploadedFile("pairs.jsonl", JSONL.encode())
    )
    Adapter.objects.filter(pk=adapter.pk).update(**fields)
    adapter.refresh_from_db()
    return adapter


def test_training_has_the_training_queues_limit_and_other_tasks_the_default(settings):
    assert settings.CELERY_QUEUE_TIME_LIMITS == {"training": 43200}
    assert (adapter_train.time_limit, adapter_train.soft_time_limit) == (43200, 43140)
    assert (process_run.time_limit, process_run.soft_time_limit) == (3600, 3540)


def test_a_job_the_broker_never_took_is_sent_again(
    acme, bot, published, media_cleanup, django_capture_on_commit_callbacks
):
    with tenant_context(acme):
        with django_capture_on_commit_callbacks(execute=False):  # the broker was down
            queued = job(bot)
        assert queued.queued_at is None
        with django_capture_on_commit_callbacks(execute=True):
            assert services.jobs_sweep()["requeued"] == [queued.pk]
        assert published == [("assistants.lora.tasks.adapter_train", (queued.pk,), {})]
        assert Adapter.objects.get(pk=queued.pk).queued_at is not None
        with django_capture_on_commit_callbacks(execute=True):
            assert services.jobs_sweep()["requeued"] == []  # taken by the broker: not sent twice


def test_a_silent_job_is_stopped_and_frees_the_training_slot(acme, bot, settings, media_cleanup):
    settings.LORA_STALE_SECONDS = 600
    with tenant_context(acme):
        lost = job(bot, status=Status.RUNNING, queued_at=ago(900), started_at=ago(900), heartbeat_at=ago(700))
        assert sweep_stuck_jobs()["acme"]["stopped"] == [lost.pk]
        lost.refresh_from_db()
        assert (lost.status, lost.error_kind, lost.in_flight) == (Status.FAILED, Failure.WORKER_LOST, False)
        assert shown_text(lost.error) == "Stopped: the training worker went silent for more than 10 min."
        again = job(bot)  # the slot is free
        assert again.status == Status.QUEUED


def test_a_job_past_its_limit_says_it_took_too_long(acme, bot, settings, media_cleanup):
    with tenant_context(acme):
        long = job(bot, status=Status.RUNNING, started_at=ago(43300), heartbeat_at=ago(43250))
        services.jobs_sweep()
        long.refresh_from_db()
        assert (long.status, long.error_kind) == (Status.FAILED, Failure.TIMED_OUT)
        assert shown_text(long.error) == "Stopped: took longer than 12 h."


def test_the_soft_time_limit_stops_training_with_the_reason_and_the_warning_was_shown(
    acme, bot, settings, api_client, monkeypatch, tmp_path: Path, media_cleanup
):
    settings.LORA_SECONDS_PER_STEP = 30000.0  # 2 steps of 30000 s: past the 12 h limit
    settings.LORA_EVAL_QUESTIONS = 0

    def too_long(**kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(services, "base_model_dir", lambda device="cpu": tmp_path)
    monkeypatch.setattr(training, "train", too_long)
    with tenant_context(acme):
        queued = job(bot, hyperparameters={"epochs": 1, "batch_size": 4})
        adapter = services.adapter_train(adapter_id=queued.pk)
    assert adapter is not None
    assert (adapter.status, adapter.error_kind, adapter.in_flight) == (Status.FAILED, Failure.TIMED_OUT, False)
    assert shown_text(adapter.error) == "Stopped: took longer than 12 h."
    body = api_client.get(f"{API.format(bot.pk)}/{adapter.pk}/").json()
    assert body["data"]["estimate"]["exceeds_limit"] is True
    assert "longer than the training queue's limit of 12 h" in body["data"]["estimate"]["warning"]


def test_the_preview_warns_when_training_would_pass_the_limit(acme, bot, manager_client, settings, media_cleanup):
    new = f"/assistants/{bot.pk}/adapters/new/"

    def preview() -> str:
        upload = SimpleUploadedFile("p.jsonl", JSONL.encode())
        response = manager_client.post(new, {"preview": "1", "upload": upload, **FORM}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        return response.content.decode()

    settings.LORA_SECONDS_PER_STEP = 1.0
    assert "longer than the training queue" not in preview()
    settings.CELERY_QUEUE_TIME_LIMITS = {"training": 60}
    settings.LORA_SECONDS_PER_STEP = 100.0
    assert "longer than the training queue&#x27;s limit of 1 min" in preview()
