"""Queueing of the datasets app's background work, and the sweeper that keeps it from vanishing.

Runs and classifier retrains are sent to the broker by task name after the commit through
``helpdesk.celery.send_on_commit`` (the tasks import this module, never the other way round);
``queued_at`` records that the broker took the message. The beat sweeper (every JOBS_SWEEP_SECONDS)
sends again what waits without a message (the broker was down) or whose message was lost
(JOBS_REQUEUE_AFTER_SECONDS), and stops what runs without a heartbeat for JOBS_STALE_SECONDS (a
killed worker, the queue's time limit) with the reason.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from datasets.models import Classifier, Row, Run, Upload, Version
from helpdesk.celery import job_estimate, send_on_commit, stopped_reason, time_limit_for
from helpdesk.stored_text import Duration, stored_text

logger = logging.getLogger(__name__)

PROCESS_TASK = "datasets.process_run"


def _mark_queued(model: type[Run] | type[Classifier], pk: int) -> None:
    model.objects.filter(pk=pk).update(queued_at=timezone.now())


def process_enqueue(run: Run) -> None:
    """Send a queued run to a worker once the transaction commits."""
    send_on_commit("datasets.process_run", run.pk, on_sent=lambda: _mark_queued(Run, run.pk))


def write_enqueue(run: Run, author_id: int | None) -> None:
    """Send a run whose write was requested to a worker once the transaction commits."""
    send_on_commit("datasets.write_run", run.pk, author_id, on_sent=lambda: _mark_queued(Run, run.pk))


def review_relabel_enqueue(run: Run) -> None:
    """Retrain on the run's decisions and label its waiting rows, once the transaction commits."""
    send_on_commit("datasets.review_relabel", run.pk)


def classifier_enqueue(version: Version) -> None:
    """Mark the version's classifier as waiting for training and send the job once the transaction commits."""
    classifier, _ = Classifier.objects.update_or_create(
        version=version,
        defaults={"status": Classifier.Status.TRAINING, "error": "", "queued_at": None, "heartbeat_at": None},
    )
    send_on_commit("datasets.train_classifier", version.pk, on_sent=lambda: _mark_queued(Classifier, classifier.pk))


def _waiting(since: Any) -> Q:
    """Waiting for a worker, with no message (broker down) or an old one (lost)."""
    return Q(queued_at__isnull=True) | Q(queued_at__lt=since)


def jobs_sweep() -> dict[str, list[int]]:
    """Send again the runs and retrains of this tenant that wait in vain, and stop the ones whose worker is gone."""
    now = timezone.now()
    requeue_before = now - timedelta(seconds=settings.JOBS_REQUEUE_AFTER_SECONDS)
    stale_before = now - timedelta(seconds=settings.JOBS_STALE_SECONDS)
    swept: dict[str, list[int]] = {"requeued": [], "stopped": []}
    for run in Run.objects.filter(Q(status=Run.Status.QUEUED) & _waiting(requeue_before)):
        process_enqueue(run)
        swept["requeued"].append(run.pk)
    for run in Run.objects.filter(Q(status=Run.Status.WRITING, heartbeat_at__isnull=True) & _waiting(requeue_before)):
        write_enqueue(run, run.created_by_id)
        swept["requeued"].append(run.pk)
    silent = Q(status__in=(Run.Status.RUNNING, Run.Status.WRITING), heartbeat_at__lt=stale_before) | Q(
        status=Run.Status.RUNNING,
        heartbeat_at__isnull=True,
        started_at__lt=stale_before,  # started before heartbeats
    )
    for run in Run.objects.filter(silent):
        if run_stop(run=run, reason=_lost_reason(run, now)):
            swept["stopped"].append(run.pk)
    waiting = Classifier.objects.filter(Q(status=Classifier.Status.TRAINING, heartbeat_at__isnull=True))
    for classifier in waiting.filter(_waiting(requeue_before)).select_related("version"):
        classifier_enqueue(classifier.version)
        swept["requeued"].append(-classifier.pk)
    lost = Classifier.objects.filter(status=Classifier.Status.TRAINING, heartbeat_at__lt=stale_before)
    lost.update(
        status=Classifier.Status.FAILED,
        error="The training worker stopped before it finished; retrain from the version's page.",
    )
    if any(swept.values()):
        logger.info("dataset jobs swept: %s", swept)
    return swept


def _lost_reason(run: Run, now: Any) -> str:
    limit = time_limit_for(PROCESS_TASK)
    running_since = run.started_at if run.status == Run.Status.RUNNING else None  # a write has no start time
    if limit and running_since is not None and (now - running_since).total_seconds() >= limit:
        return stopped_reason(PROCESS_TASK)
    return stored_text(
        gettext_noop("Stopped: the worker went silent for more than %(silent)s (it was stopped or restarted)."),
        silent=Duration(settings.JOBS_STALE_SECONDS),
    )


def run_stop(*, run: Run, reason: str) -> bool:
    """Stop a run whose worker is gone: a run being processed fails (its partial rows go), a write waits again.

    Conditional on the status the run had, so a worker that finishes meanwhile wins. Returns whether it stopped.
    """
    with transaction.atomic():
        if run.status == Run.Status.RUNNING:
            stopped = Run.objects.filter(pk=run.pk, status=Run.Status.RUNNING, heartbeat_at=run.heartbeat_at).update(
                status=Run.Status.FAILED, error=reason, finished_at=timezone.now()
            )
            if stopped:
                Row.objects.filter(run=run).delete()  # nothing half-imported stays visible
            return bool(stopped)
        back = Run.Status.REVIEW if Row.objects.filter(run=run, status=Row.Status.REVIEW).exists() else Run.Status.READY
        return bool(
            Run.objects.filter(pk=run.pk, status=Run.Status.WRITING, heartbeat_at=run.heartbeat_at).update(
                status=back, error=reason
            )
        )


def estimate(*, upload: Upload, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """How long a run over ``upload`` should take, and a warning when that passes the worker's time limit.

    Rows are estimated from the file's size and its previewed rows (nothing is parsed here);
    the speed is DATASETS_ROWS_PER_SECOND, times the variants when augmenting.
    """
    rows = _estimated_rows(upload)
    work = rows * (1 + (settings.DATASETS_AUGMENT_VARIANTS if (options or {}).get("augment") else 0))
    return {
        "rows": rows,
        **job_estimate(
            PROCESS_TASK,
            work / settings.DATASETS_ROWS_PER_SECOND,
            lambda duration, limit: (
                _(
                    "About %(rows)s rows: this run may take %(duration)s, longer than a worker may run a job "
                    "(%(limit)s); it would be stopped. Split the file, or raise CELERY_TASK_TIME_LIMIT."
                )
                % {"rows": f"{rows:,}", "duration": duration, "limit": limit}
            ),
        ),
    }


def _estimated_rows(upload: Upload) -> int:
    preview = upload.preview or []
    if not preview or not upload.size:
        return len(preview)
    sample = sum(len(str(value).encode()) + 1 for row in preview for value in _values(row)) + len(preview)
    return max(len(preview), round(upload.size * len(preview) / max(sample, 1)))


def _values(row: Any) -> list[Any]:
    return list(row.values()) if isinstance(row, dict) else list(row) if isinstance(row, list) else [row]
