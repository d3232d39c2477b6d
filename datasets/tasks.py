"""Thin Celery tasks of the datasets app: ids in, the pipeline does the work."""

from __future__ import annotations

from datasets import pipeline
from datasets.classifier import classifier_train
from datasets.models import Version
from helpdesk.celery import app


@app.task(name="datasets.process_run")
def process_run(run_id: int) -> str:
    """Import, label, augment, check and queue a run's rows for review (and write when nothing needs it)."""
    run = pipeline.run_process(run_id=run_id)
    return run.status if run is not None else "skipped"


@app.task(name="datasets.write_run")
def write_run(run_id: int, author_id: int | None = None) -> str:
    """Write the version of a run whose write was requested."""
    run = pipeline.run_write(run_id=run_id, author_id=author_id)
    return run.status if run is not None else "skipped"


@app.task(name="datasets.train_classifier")
def train_classifier(version_id: int) -> str:
    version = Version.objects.filter(pk=version_id).first()
    if version is None:
        return "skipped"
    return classifier_train(version=version).status
