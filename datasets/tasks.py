"""Thin Celery tasks of the datasets app: ids in, the pipeline does the work."""

from __future__ import annotations

from django_tenants.utils import tenant_context

from datasets import jobs, pipeline, services
from datasets.classifier import classifier_train
from datasets.models import Run, Version
from helpdesk.celery import app
from helpdesk.tenants.selectors import tenant_list


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


@app.task(name="datasets.review_relabel")
def review_relabel(run_id: int) -> int:
    """Retrain on a run's review decisions and label the rows still waiting that it is now sure of."""
    run = Run.objects.filter(pk=run_id).first()
    if run is None:
        return 0
    return services.review_relabel(run=run)


@app.task(name="datasets.train_classifier")
def train_classifier(version_id: int) -> str:
    version = Version.objects.filter(pk=version_id).first()
    if version is None:
        return "skipped"
    return classifier_train(version=version).status


@app.task(name="datasets.sweep_stuck_jobs", ignore_result=True)
def sweep_stuck_jobs() -> dict[str, dict[str, list[int]]]:
    """Beat, every JOBS_SWEEP_SECONDS: send again the runs waiting in vain and stop the lost ones, in every tenant."""
    swept = {}
    for tenant in tenant_list():
        with tenant_context(tenant):
            result = jobs.jobs_sweep()
        if any(result.values()):
            swept[tenant.schema_name] = result
    return swept
