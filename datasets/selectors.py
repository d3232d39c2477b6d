"""Reads of the datasets app, scoped to the current tenant's schema (ids of other tenants do not exist here).

``version_list_for_tenant``, ``version_get`` and ``version_examples`` are the interface the
LoRA training reads versions through.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import ngettext

from datasets.labeler import NEVER, Agreement
from datasets.models import Classifier, Dataset, ReviewDecision, Row, Run, Upload, Version, VersionRow


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    response: str
    domain: str
    meta: dict[str, Any] = field(default_factory=dict)


def dataset_list() -> QuerySet[Dataset]:
    return (
        Dataset.objects.select_related("current_version")
        .annotate(version_count=Count("versions", distinct=True), run_count=Count("runs", distinct=True))
        .order_by("-updated_at", "-pk")
    )


def dataset_get(pk: int | str) -> Dataset:
    return get_object_or_404(Dataset.objects.select_related("current_version"), pk=pk)


def upload_get(pk: int | str) -> Upload:
    return get_object_or_404(Upload.objects.select_related("dataset"), pk=pk)


def run_get(pk: int | str) -> Run:
    return get_object_or_404(Run.objects.select_related("dataset", "upload", "version"), pk=pk)


def run_list(*, dataset: Dataset | None = None) -> QuerySet[Run]:
    runs = Run.objects.select_related("dataset", "upload", "version", "created_by")
    return runs.filter(dataset=dataset) if dataset is not None else runs


def row_get(run: Run, pk: int | str) -> Row:
    return get_object_or_404(Row.objects.defer("embedding"), run=run, pk=pk)


def version_list(*, dataset: Dataset) -> QuerySet[Version]:
    return Version.objects.filter(dataset=dataset).select_related("author", "classifier", "dataset")


def version_by_tag(dataset: Dataset, tag: str) -> Version:
    return get_object_or_404(Version.objects.select_related("dataset", "author"), dataset=dataset, tag=tag)


def version_list_for_tenant() -> QuerySet[Version]:
    """Every version of every dataset of the current tenant, newest first."""
    return Version.objects.select_related("dataset", "author").order_by("-created_at", "-pk")


def version_get(pk: int | str) -> Version:
    """The version of this tenant with that id, or 404."""
    return get_object_or_404(Version.objects.select_related("dataset", "author"), pk=pk)


def version_examples(version: Version, *, split: Literal["train", "eval"]) -> Iterator[Example]:
    """The rows of one split of ``version`` in their stored order (streamed, not loaded at once)."""
    if split not in ("train", "eval"):
        raise ValueError(f"split must be 'train' or 'eval', not {split!r}")
    rows = (
        VersionRow.objects.filter(version=version, split=split)
        .order_by("position")
        .values_list("text", "label", "response", "domain", "meta")
    )
    for text, label, response, domain, meta in rows.iterator(chunk_size=1000):
        yield Example(text=text, label=label, response=response, domain=domain, meta=dict(meta or {}))


def classifier_version(*, dataset: Dataset | None = None, tag: str = "") -> Version | None:
    """The version whose classifier answers: a given tag, else the current version of the given dataset,
    else the most recently updated dataset's current version with a trained classifier."""
    ready = Q(classifier__status=Classifier.Status.READY)
    if dataset is not None and tag:
        return Version.objects.filter(dataset=dataset, tag=tag).select_related("dataset").first()
    if dataset is not None:
        return dataset.current_version
    current = Dataset.objects.exclude(current_version=None).order_by("-updated_at", "-pk").values("current_version")
    return (
        Version.objects.filter(ready, pk__in=current).select_related("dataset").order_by("-dataset__updated_at").first()
    )


def stats() -> dict[str, Any]:
    return {
        "datasets": Dataset.objects.count(),
        "versions": Version.objects.count(),
        "runs": dict(Run.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n")),
        "rows_waiting_for_review": Row.objects.filter(status=Row.Status.REVIEW).count(),
        "classifiers_ready": Classifier.objects.filter(status=Classifier.Status.READY).count(),
    }


@dataclass(frozen=True)
class ReviewProgress:
    """Rows of a run decided by a reviewer, and rows still waiting."""

    decided: int
    pending: int

    @property
    def total(self) -> int:
        return self.decided + self.pending

    @property
    def percent(self) -> int:
        return round(100 * self.decided / self.total) if self.total else 100


def review_progress(run: Run) -> ReviewProgress:
    rows = Row.objects.filter(run=run, source=Row.Source.ORIGINAL)
    return ReviewProgress(
        decided=rows.filter(reviewed=True).count(), pending=rows.filter(status=Row.Status.REVIEW).count()
    )


def review_queue(run: Run, *, label: str = "", reason: str = "") -> QuerySet[Row]:
    """The rows of ``run`` waiting for a reviewer (optionally one suggested label or review reason), in file order."""
    rows = Row.objects.filter(run=run, status=Row.Status.REVIEW).defer("embedding")
    if label:
        rows = rows.filter(suggested_label=label)
    if reason:
        rows = rows.filter(review_reason=reason)
    return rows.order_by("review_rank", "position")


def labelled_for_you(run: Run, *, last: int = 20) -> int:
    """Rows the labeler labelled after retraining on the reviewers' latest ``last`` decisions in ``run``."""
    decided = ReviewDecision.objects.filter(run=run, undone_at=None).count()
    return Row.objects.filter(run=run, method="learned", hints__learned_after__gt=max(decided - last, 0) - 1).count()


def run_calibrated(run: Run) -> bool:
    """Whether the label step of ``run`` had enough labelled rows to calibrate its thresholds on."""
    return bool(run.step_state("label").get("counts", {}).get("calibration"))


def decided_in_queue(run: Run) -> QuerySet[ReviewDecision]:
    """The standing decisions a reviewer made one row at a time (a bulk accept takes the suggestion as it is) on
    rows that waited for a label: the sample the labeler's accuracy on the waiting rows is measured on."""
    return ReviewDecision.objects.filter(
        run=run, undone_at=None, bulk=False,
        action__in=[ReviewDecision.Action.ACCEPT, ReviewDecision.Action.CHANGE, ReviewDecision.Action.REJECT],
        row__review_reason__in=[Row.Reason.LOW_CONFIDENCE, Row.Reason.UNLABELED],
    )  # fmt: skip


def suggestion_agreement(run: Run) -> Agreement:
    """The run's last measure of how often the labeler matched the reviewers' decisions (stored by
    ``services.review_relabel``; nothing matched before the first)."""
    stored = run.step_state("label").get("counts", {}).get("review_agreement")
    if stored:
        return Agreement.from_dict(stored)
    return Agreement(0, 0, settings.DATASETS_TARGET_PRECISION, NEVER, {})


def labelling_for_you_waits(run: Run) -> dict[str, Any] | None:
    """Why the labeler labels nothing for the reviewers yet, with the figures; None when it may (calibrated, or
    it has matched enough of their decisions)."""
    if run_calibrated(run):
        return None
    found = suggestion_agreement(run)
    if found.reached:
        return None
    every = settings.DATASETS_RETRAIN_EVERY
    message = ngettext(
        "Labelling for you starts when the labeler, retrained without each of your decisions, matches enough of "
        "them: %(matched)d of %(decided)d so far (checked every %(every)d decision).",
        "Labelling for you starts when the labeler, retrained without each of your decisions, matches enough of "
        "them: %(matched)d of %(decided)d so far (checked every %(every)d decisions).",
        every,
    ) % {"matched": found.matched, "decided": found.decided, "every": every}
    return {"matched": found.matched, "decided": found.decided, "target": found.target, "message": message}


def rejected_before(run: Run) -> tuple[set[str], set[str]]:
    """Content hashes and ids of rows whose latest decision in another run of the dataset is a rejection.

    A later decision on the same text or id (accepted, relabelled, restored) lifts the rejection.
    """
    decisions = (
        ReviewDecision.objects.filter(run__dataset_id=run.dataset_id, undone_at=None)
        .exclude(run=run)
        .order_by("decided_at", "pk")
        .values_list("action", "row__text_hash", "row__external_id")
    )
    by_hash: dict[str, bool] = {}
    by_id: dict[str, bool] = {}
    for action, text_hash, external_id in decisions.iterator(chunk_size=2000):
        rejected = action == ReviewDecision.Action.REJECT
        by_hash[text_hash] = rejected
        if external_id:
            by_id[external_id] = rejected
    return {h for h, r in by_hash.items() if r}, {i for i, r in by_id.items() if r}


def rejected_rows(dataset: Dataset, *, query: str = "") -> QuerySet[Row]:
    """The dataset's rows that stay rejected: for each text, its row in the latest run that has it, if rejected.

    ``query`` narrows them to a text or id containing it (case-insensitive).
    """
    latest = (
        Row.objects.filter(run__dataset=dataset, source=Row.Source.ORIGINAL)
        .order_by("text_hash", "-run_id", "-pk")
        .distinct("text_hash")
        .values("pk")
    )
    rows = Row.objects.filter(pk__in=latest, status=Row.Status.REJECTED).select_related("run").defer("embedding")
    if query:
        rows = rows.filter(Q(text__icontains=query) | Q(external_id__icontains=query))
    return rows.order_by("-run_id", "position")


def rejected_row_get(dataset: Dataset, pk: int | str) -> Row:
    """A row of ``dataset`` (any run), or 404: restoring checks that it is still rejected."""
    return get_object_or_404(Row.objects.select_related("run").defer("embedding"), run__dataset=dataset, pk=pk)


def review_labels(run: Run) -> list[str]:
    """Every label a reviewer may pick: the file's, the suggested ones, the given ones, the current version's."""
    labels = set(Row.objects.filter(run=run).exclude(label="").values_list("label", flat=True).distinct())
    labels |= set(
        Row.objects.filter(run=run).exclude(suggested_label="").values_list("suggested_label", flat=True).distinct()
    )
    labels |= set(run.options.get("labels") or ())
    current = Dataset.objects.filter(pk=run.dataset_id).values_list("current_version", flat=True).first()
    if current is not None:
        labels |= set(VersionRow.objects.filter(version_id=current).values_list("label", flat=True).distinct())
    return sorted(labels, key=str.casefold)
