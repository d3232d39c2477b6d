"""Runs the steps of a run in order, keeping each step's state, progress, counts and speed on the run.

``run_process`` takes a queued run through ETL → label → augment → quality → relabel → review;
it then waits for reviewers, or writes the version at once when nothing needs review and a
version was asked for. ``run_write`` is the writer on its own (after review). A failed import
leaves no rows behind; a failed write keeps the reviewed rows for another try.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction
from django.utils import timezone

from datasets.classifier import classifier_train
from datasets.models import Row, Run
from datasets.steps.augment import AugmentStep
from datasets.steps.base import Counts, Mapping, RunOptions, Step, StepContext, StepFailed, Throttled
from datasets.steps.etl import EtlStep
from datasets.steps.label import LabelStep
from datasets.steps.quality import QualityStep
from datasets.steps.relabel import RelabelStep
from datasets.steps.review import ReviewStep
from datasets.steps.write import WriteStep
from helpdesk.accounts.models import User
from helpdesk.ai import embedder
from helpdesk.celery import stopped_reason

logger = logging.getLogger(__name__)

PROCESS: Sequence[Step] = (EtlStep(), LabelStep(), AugmentStep(), QualityStep(), RelabelStep(), ReviewStep())
WRITE: Step = WriteStep()
ALL: Sequence[Step] = (*PROCESS, WRITE)
TASK = "datasets.process_run"  # whose queue's time limit applies to runs and writes alike


def initial_steps(options: RunOptions) -> list[dict[str, Any]]:
    optional = {"augment", "quality", "relabel"}
    return [
        {"name": step.name, "title": step.title, "status": "skipped" if step.name in optional and not options.augment
         else "pending", "done": 0, "total": 0, "counts": {}, "seconds": None}
        for step in ALL
    ]  # fmt: skip


def context_for(run: Run, **cache: Any) -> StepContext:
    model = embedder()
    return StepContext(
        run=run,
        mapping=Mapping.from_dict(run.mapping),
        options=RunOptions.from_dict(run.options),
        embed=model.embed,
        embedding_model=model.key,
        cache=dict(cache),
    )


class _StepState:
    """The run's ``steps`` entry of one step, saved with a query that touches only that column."""

    def __init__(self, run: Run, name: str) -> None:
        self.run = run
        self.entry = next(s for s in run.steps if s["name"] == name)

    def update(self, **values: Any) -> None:
        self.entry.update(values)
        # Every save of progress is also the heartbeat the sweeper watches.
        self.run.heartbeat_at = timezone.now()
        Run.objects.filter(pk=self.run.pk).update(steps=self.run.steps, heartbeat_at=self.run.heartbeat_at)

    def progress(self, done: int, total: int) -> None:
        self.update(done=done, total=total)


def _execute(context: StepContext, step: Step) -> Counts | None:
    """Run one step; None when it was skipped. Raises ``StepFailed`` with a readable reason."""
    state = _StepState(context.run, step.name)
    if not step.able_to_run(context):
        state.update(status="skipped")
        return None
    state.update(status="running", done=0, total=0, counts={}, error="")
    context.progress = Throttled(state.progress)
    started = time.perf_counter()
    try:
        counts = step.run(context)
    except SoftTimeLimitExceeded as exc:
        reason = stopped_reason(TASK)
        state.update(status="failed", error=reason, seconds=round(time.perf_counter() - started, 2))
        raise StepFailed(reason) from exc
    except StepFailed as exc:
        state.update(status="failed", error=str(exc), seconds=round(time.perf_counter() - started, 2))
        raise
    except Exception as exc:
        logger.exception("dataset run %s: step %s failed", context.run.pk, step.name)
        state.update(
            status="failed", error=f"{type(exc).__name__}: {exc}", seconds=round(time.perf_counter() - started, 2)
        )
        raise StepFailed(f"The {step.title.lower()} step failed unexpectedly ({type(exc).__name__}: {exc}).") from exc
    seconds = time.perf_counter() - started
    rows = int(counts.get("rows", 0) or 0)
    state.update(
        status="done",
        counts=counts,
        seconds=round(seconds, 2),
        rows_per_second=round(rows / seconds, 1) if rows and seconds > 0 else None,
        done=max(state.entry.get("total") or 0, 1),
        total=max(state.entry.get("total") or 0, 1),
    )
    return counts


def _finish(run: Run, status: str, error: str = "") -> None:
    run.status, run.error = status, error
    fields: dict[str, Any] = {"status": status, "error": error}
    if status in {Run.Status.DONE, Run.Status.FAILED}:
        run.finished_at = fields["finished_at"] = timezone.now()
    Run.objects.filter(pk=run.pk).update(**fields)


def run_process(*, run_id: int) -> Run | None:
    """Take a queued run through the pipeline up to review (and the writer when nothing needs review).

    Claims the run with a conditional update, so a run is processed once even if its task
    is delivered twice. Returns None when the run is gone or not queued.
    """
    now = timezone.now()
    if not Run.objects.filter(pk=run_id, status=Run.Status.QUEUED).update(
        status=Run.Status.RUNNING, started_at=now, heartbeat_at=now, error=""
    ):
        return None
    run = Run.objects.select_related("dataset__current_version", "upload").get(pk=run_id)
    embedder()  # load the model before the first step, so that step times show the work, not the loading
    context = context_for(run)
    try:
        for step in PROCESS:
            _execute(context, step)
    except StepFailed as exc:
        with transaction.atomic():
            Row.objects.filter(run=run).delete()  # nothing half-imported stays visible
        _finish(run, Run.Status.FAILED, str(exc))
        return run
    pending = Row.objects.filter(run=run, status=Row.Status.REVIEW).exists()
    if pending or not context.options.create_version:
        _finish(run, Run.Status.REVIEW if pending else Run.Status.READY)
        return run
    _finish(run, Run.Status.WRITING)
    return _write(run, context)


def run_write(*, run_id: int, author_id: int | None = None) -> Run | None:
    """Write the version of a run whose write was requested (``services.run_write_request``)."""
    # Claimed like a queued run: only a write that no worker has started yet (a message sent twice, or
    # again by the sweeper, writes once).
    if not Run.objects.filter(pk=run_id, status=Run.Status.WRITING, heartbeat_at__isnull=True).update(
        heartbeat_at=timezone.now()
    ):
        return None
    run = Run.objects.select_related("dataset__current_version", "upload").get(pk=run_id)
    author = None
    if author_id is not None:
        author = User.objects.filter(pk=author_id).first()
    return _write(run, context_for(run, author=author))


def _write(run: Run, context: StepContext) -> Run:
    try:
        _execute(context, WRITE)
    except StepFailed as exc:
        pending = Row.objects.filter(run=run, status=Row.Status.REVIEW).exists()
        _finish(run, Run.Status.REVIEW if pending else Run.Status.READY, str(exc))
        return run
    # Train before the run reads "done", so a client that waits for "done" can classify at once;
    # a failure is kept on the classifier and the version stands.
    try:
        classifier_train(version=context.cache["version"])
    finally:
        _finish(run, Run.Status.DONE)
    return run
