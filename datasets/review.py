"""The review queue's decisions: accept the suggestion, change the label, reject; undo; bulk accept.

Each decision keeps who made it and when. Undo marks the reviewer's last decision in the run
as undone and puts its row back in the queue; the decision itself stays in the history.
Two reviewers on one queue cannot decide the same row twice: the row is locked and must
still be waiting.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from datasets.models import Dataset, ReviewDecision, Row, Run, VersionRow
from datasets.text import normalise_label
from helpdesk.accounts.models import User
from helpdesk.db import bulk_update_rows


@dataclass(frozen=True)
class Progress:
    decided: int
    pending: int

    @property
    def total(self) -> int:
        return self.decided + self.pending

    @property
    def percent(self) -> int:
        return round(100 * self.decided / self.total) if self.total else 100


def progress(run: Run) -> Progress:
    rows = Row.objects.filter(run=run, source=Row.Source.ORIGINAL)
    return Progress(decided=rows.filter(reviewed=True).count(), pending=rows.filter(status=Row.Status.REVIEW).count())


def queue(run: Run, *, label: str = "", reason: str = "") -> QuerySet[Row]:
    rows = Row.objects.filter(run=run, status=Row.Status.REVIEW).defer("embedding")
    if label:
        rows = rows.filter(suggested_label=label)
    if reason:
        rows = rows.filter(review_reason=reason)
    return rows.order_by("position")


def labels_of(run: Run) -> list[str]:
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


def _mark_ready(run: Run) -> None:
    if not Row.objects.filter(run=run, status=Row.Status.REVIEW).exists():
        Run.objects.filter(pk=run.pk, status=Run.Status.REVIEW).update(status=Run.Status.READY)


@transaction.atomic
def decide(*, row: Row, action: str, by: User, label: str = "") -> ReviewDecision:
    """Accept the suggested label, change it to ``label``, or reject the row (it leaves the dataset)."""
    locked = Row.objects.select_for_update().select_related("run").get(pk=row.pk)
    if locked.status != Row.Status.REVIEW:
        raise ValidationError("Someone has decided on this row already.")
    if action == ReviewDecision.Action.ACCEPT:
        label = locked.suggested_label or locked.original_label
        if not label:
            raise ValidationError("There is no suggestion to accept: pick a label.")
    elif action == ReviewDecision.Action.CHANGE:
        label = normalise_label(label)
        if not label:
            raise ValidationError("Pick or type a label.")
    elif action == ReviewDecision.Action.REJECT:
        label = ""
    else:
        raise ValidationError(f"Unknown action {action!r}.")
    decision = ReviewDecision.objects.create(
        run=locked.run, row=locked, action=action, label_before=locked.label, label_after=label, reviewer=by
    )
    locked.reviewed = True
    locked.method = "review"
    if action == ReviewDecision.Action.REJECT:
        locked.status = Row.Status.REJECTED
    else:
        locked.status, locked.label = Row.Status.READY, label
    locked.save(update_fields=["reviewed", "method", "status", "label"])
    _mark_ready(locked.run)
    return decision


@transaction.atomic
def undo(*, run: Run, by: User) -> ReviewDecision | None:
    """Undo ``by``'s last decision in ``run`` (None when there is nothing to undo)."""
    decision = (
        ReviewDecision.objects.select_for_update()
        .filter(run=run, reviewer=by, undone_at=None)
        .select_related("row")
        .order_by("-decided_at", "-pk")
        .first()
    )
    if decision is None:
        return None
    row = decision.row
    row.label, row.status, row.reviewed, row.method = decision.label_before, Row.Status.REVIEW, False, ""
    row.save(update_fields=["label", "status", "reviewed", "method"])
    decision.undone_at = timezone.now()
    decision.save(update_fields=["undone_at"])
    Run.objects.filter(pk=run.pk, status=Run.Status.READY).update(status=Run.Status.REVIEW)
    return decision


@transaction.atomic
def bulk_accept(*, run: Run, min_confidence: float, by: User, label: str = "", reason: str = "") -> int:
    """Accept the suggestion of every waiting row (matching the filters) at or above ``min_confidence``."""
    if not 0.0 <= min_confidence <= 1.0:
        raise ValidationError("The confidence must be between 0 and 1.")
    rows = list(
        queue(run, label=label, reason=reason)
        .filter(confidence__gte=min_confidence)
        .exclude(suggested_label="")
        .select_for_update()
    )
    ReviewDecision.objects.bulk_create(
        ReviewDecision(run=run, row=row, action=ReviewDecision.Action.ACCEPT, label_before=row.label,
                       label_after=row.suggested_label, reviewer=by)
        for row in rows
    )  # fmt: skip
    for row in rows:
        row.label, row.status, row.reviewed, row.method = row.suggested_label, Row.Status.READY, True, "review"
    bulk_update_rows(rows, ["label", "status", "reviewed", "method"])
    _mark_ready(run)
    return len(rows)
