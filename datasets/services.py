"""Writes of the datasets app: datasets, uploads (read and previewed at once), runs, version requests.

Everything runs in the current tenant's schema; files go under ``MEDIA_ROOT/<schema>/datasets/``.
"""

from __future__ import annotations

import re
from itertools import islice
from pathlib import PurePath
from typing import Any

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from datasets import jobs, queue, selectors, versions
from datasets.formats import (
    ACCEPTED,
    PREVIEW_ROWS,
    FormatError,
    TooLarge,
    count_lines,
    delimiter_of,
    format_of,
    read_table,
    too_many_rows,
)
from datasets.labeler import Agreement, Calibration, decisions_agreement, predictions, train
from datasets.models import Dataset, ReviewDecision, Row, Run, Upload, Version
from datasets.pipeline import initial_steps
from datasets.steps.base import Mapping, RunOptions
from datasets.text import normalise_label, text_like
from helpdesk.accounts.models import User
from helpdesk.db import bulk_update_rows

PREVIEW_CELL_CHARS = 300


class UploadRejected(ValidationError):
    """An upload refused before anything is stored; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@transaction.atomic
def dataset_create(*, name: str, description: str = "", by: User | None = None) -> Dataset:
    name = " ".join(name.split())[:100]
    if not name:
        raise ValidationError(_("Give the dataset a name."))
    if Dataset.objects.filter(name__iexact=name).exists():
        raise ValidationError(_("A dataset named %(name)r exists already.") % {"name": name})
    return Dataset.objects.create(name=name, description=description.strip(), created_by=by)


def dataset_for_upload(*, dataset: Dataset | None, name: str, by: User | None) -> Dataset:
    """The chosen dataset, or the one named ``name`` (created when new)."""
    if dataset is not None:
        return dataset
    existing = Dataset.objects.filter(name__iexact=" ".join(name.split())).first()
    return existing or dataset_create(name=name, by=by)


@transaction.atomic
def upload_into(
    *, dataset: Dataset | None, name: str, uploaded: UploadedFile, delimiter: str = "", by: User | None = None
) -> Upload:
    """An upload into the chosen or named dataset; a refused file leaves no new dataset behind either."""
    return upload_create(
        dataset=dataset_for_upload(dataset=dataset, name=name, by=by), uploaded=uploaded, delimiter=delimiter, by=by
    )


_GUESSES = {
    "text": ("text", "message", "query", "question", "utterance", "body", "content", "sentence", "request",
             "description", "prompt", "instruction", "input", "текст", "сообщение", "вопрос", "запрос"),
    "label": ("label", "category", "intent", "class", "topic", "request_type", "type", "tag", "метка",
              "категория", "класс", "тема"),
    "domain": ("domain", "channel", "product", "source", "queue", "department", "домен", "канал"),
    "id": ("id", "message_id", "ticket", "ticket_id", "uuid", "key", "number"),
    "response": ("response", "answer", "reply", "output", "completion", "final_reply", "ответ"),
}  # fmt: skip


def text_columns(columns: list[str], preview: list[dict[str, str]]) -> list[str]:
    """The columns whose previewed values read as text (words), not dates, numbers or codes."""
    return [c for c in columns if text_like([row.get(c, "") for row in preview])]


def suggest_mapping(columns: list[str], preview: list[dict[str, str]]) -> dict[str, Any]:
    """A first guess from the column names; without a name match the text is the longest text-like column.

    A column whose values are dates, numbers or codes is never guessed as the text.
    """
    lowered = {column.lower().strip(): column for column in columns}
    readable = set(text_columns(columns, preview))
    mapping: dict[str, Any] = {}
    for role, names in _GUESSES.items():
        mapping[role] = next((lowered[n] for n in names if n in lowered and lowered[n] not in mapping.values()
                              and (role != "text" or lowered[n] in readable)), "")  # fmt: skip
    if not mapping["text"] and preview:
        lengths = {c: sum(len(r.get(c, "")) for r in preview) for c in columns
                   if c not in mapping.values() and c in readable}  # fmt: skip
        mapping["text"] = max(lengths, key=lambda c: lengths[c]) if lengths else ""
    mapping["meta"] = [c for c in columns if c not in mapping.values()]
    return mapping


def _preview(source: File, kind: str, delimiter: str) -> tuple[list[str], list[dict[str, str]], str]:
    """The columns, the first rows and the CSV delimiter of a file, read from its start only.

    The rest of the file is read by the run's import on the worker; only a cheap bound on the rows of a
    JSONL file (its lines) is taken here, so an oversized one is refused before anything is stored.
    """
    limit = settings.DATASETS_MAX_ROWS
    try:
        if kind == "jsonl" and count_lines(source, up_to=limit + 1) > limit:
            raise too_many_rows(limit)
        table = read_table(source, kind, delimiter=delimiter, max_rows=limit)
        rows = [{k: v[:PREVIEW_CELL_CHARS] for k, v in record.items()} for record in islice(table.rows, PREVIEW_ROWS)]
    except FormatError as exc:
        raise UploadRejected(str(exc), 413 if isinstance(exc, TooLarge) else 400) from None
    if not rows:
        raise UploadRejected(_("The file has no rows: only a header, or nothing at all."), 400)
    if not text_columns(table.columns, rows):
        raise UploadRejected(
            _("No column of this file holds text: %(columns)s hold dates, numbers or codes. Upload a file with a "
              "column of messages.") % {"columns": ", ".join(table.columns)}, 400
        )  # fmt: skip
    return table.columns, rows, table.delimiter


@transaction.atomic
def upload_create(
    *,
    dataset: Dataset,
    uploaded: UploadedFile | None = None,
    filename: str = "",
    data: bytes | None = None,
    source: str = Upload.Source.FILE,
    mapping: dict[str, Any] | None = None,
    delimiter: str = "",
    by: User | None = None,
) -> Upload:
    """Preview a file (an upload, or bytes made by an export) from its start; store it only if that reads well.

    ``delimiter`` is a CSV's delimiter by name or character (empty or ``auto``: guessed from its first
    rows). Raises ``UploadRejected``: 415 for a type we do not read, 413 above DATASETS_MAX_UPLOAD_MB,
    DATASETS_MAX_ROWS or DATASETS_MAX_UNPACKED_MB, 400 for a corrupt or empty file. Nothing is stored then.
    """
    name = PurePath((uploaded.name if uploaded else filename) or "upload").name
    try:
        kind = format_of(name)
    except FormatError as exc:
        raise UploadRejected(str(exc), 415) from None
    try:
        chosen = delimiter_of(delimiter) if kind == "csv" else ""
    except FormatError as exc:
        raise UploadRejected(str(exc), 400) from None
    content: File = uploaded if uploaded is not None else ContentFile(data or b"", name=name)
    limit = settings.DATASETS_MAX_UPLOAD_MB * 1024 * 1024
    size = content.size or 0
    if size > limit:
        raise UploadRejected(
            _("%(name)s is %(size).1f MB; the limit is %(limit)s MB.")
            % {"name": name, "size": size / 1024 / 1024, "limit": settings.DATASETS_MAX_UPLOAD_MB},
            413,
        )
    columns, preview, used = _preview(content, kind, chosen)
    upload = Upload(
        dataset=dataset, source=source, filename=name[:255], format=kind, size=size, columns=columns,
        preview=preview, mapping=mapping or suggest_mapping(columns, preview), delimiter=used, created_by=by,
    )  # fmt: skip
    content.seek(0)
    upload.file.save(name, content, save=False)
    upload.save()
    return upload


@transaction.atomic
def upload_delete(*, upload: Upload) -> None:
    name, storage = upload.file.name, upload.file.storage
    upload.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))


def _clean_labels(raw: Any) -> tuple[str, ...]:
    if isinstance(raw, str):
        raw = re.split(r"[,\n]", raw)
    labels = []
    for item in raw or ():
        label = normalise_label(str(item))
        if label and label not in labels:
            labels.append(label)
    return tuple(labels)


def validate_mapping(upload: Upload, mapping: Mapping) -> Mapping:
    if not mapping.text:
        raise ValidationError(_("Choose the column that holds the text."))
    unknown = [c for c in (*mapping.roles.values(), *mapping.meta) if c not in upload.columns]
    if unknown:
        raise ValidationError(_("The file has no column %(columns)s.") % {"columns": ", ".join(map(repr, unknown))})
    previewed = [row.get(mapping.text, "") for row in upload.preview]
    if any(v.strip() for v in previewed) and not text_like(previewed):  # an empty column fails the import, saying so
        raise ValidationError(
            _("Column %(column)s holds dates, numbers or codes, not text: choose the column with the messages.")
            % {"column": repr(mapping.text)}
        )
    used = list(mapping.roles.values())
    twice = sorted({c for c in used if used.count(c) > 1})
    if twice:
        raise ValidationError(
            _("Column %(columns)s is mapped to more than one role.") % {"columns": ", ".join(map(repr, twice))}
        )
    return Mapping(
        text=mapping.text, label=mapping.label, domain=mapping.domain, id=mapping.id, response=mapping.response,
        meta=tuple(c for c in mapping.meta if c not in used),
    )  # fmt: skip


@transaction.atomic
def run_create(*, upload: Upload, mapping: Mapping, options: dict[str, Any], by: User | None = None) -> Run:
    """Queue a pipeline run over ``upload`` with ``mapping``; the run page follows its progress."""
    mapping = validate_mapping(upload, mapping)
    parsed = RunOptions.from_dict({**options, "labels": _clean_labels(options.get("labels"))})
    if parsed.tag:
        versions.validate_tag(upload.dataset, parsed.tag)
    run = Run.objects.create(
        dataset=upload.dataset, upload=upload, mapping=mapping.as_dict(), options=parsed.as_dict(),
        steps=initial_steps(parsed), created_by=by,
    )  # fmt: skip
    Upload.objects.filter(pk=upload.pk).update(mapping=mapping.as_dict())
    jobs.process_enqueue(run)
    return run


@transaction.atomic
def run_restart(*, run: Run, by: User | None = None) -> Run:
    """A new run over the same upload and mapping (after a failure, or with the same file again)."""
    if run.upload is None:
        raise ValidationError(_("The file of this run was deleted; upload it again."))
    return run_create(upload=run.upload, mapping=Mapping.from_dict(run.mapping), options=run.options, by=by)


WRITABLE = (Run.Status.REVIEW, Run.Status.READY, Run.Status.DONE)


@transaction.atomic
def run_write_request(
    *,
    run: Run,
    by: User | None,
    tag: str = "",
    message: str = "",
    balance_labels: bool | None = None,
    balance_domains: bool | None = None,
) -> Run:
    """Queue the writer: the run's ready rows become a new version (rows still in review are left out)."""
    locked = Run.objects.select_for_update().get(pk=run.pk)
    if locked.status not in WRITABLE:
        raise ValidationError(
            _("The run is %(status)s: a version can be written once it has been processed.")
            % {"status": str(locked.get_status_display()).lower()}
        )
    tag = versions.validate_tag(locked.dataset, tag or versions.next_tag(locked.dataset))
    options = {**locked.options, "tag": tag, "message": message.strip(), "create_version": True}
    if balance_labels is not None:
        options["balance_labels"] = balance_labels
    if balance_domains is not None:
        options["balance_domains"] = balance_domains
    steps = [s if s["name"] != "write" else {**s, "status": "pending", "error": "", "counts": {}} for s in locked.steps]
    Run.objects.filter(pk=run.pk).update(
        status=Run.Status.WRITING, options=options, steps=steps, error="", queued_at=None, heartbeat_at=None
    )
    jobs.write_enqueue(run, by.pk if by is not None else None)
    run.refresh_from_db()
    return run


@transaction.atomic
def classifier_retrain(*, version: Version) -> None:
    jobs.classifier_enqueue(version)


ACCEPTED_TYPES = ACCEPTED


# --- The review queue's decisions: accept the suggestion, change the label, reject; undo; bulk accept ---
# Each decision keeps who made it and when. Undo marks the reviewer's last decision in the run
# as undone and puts its row back in the queue; the decision itself stays in the history.
# Two reviewers on one queue cannot decide the same row twice: the row is locked and must
# still be waiting.


def _review_mark_ready(run: Run, by: User | None = None) -> None:
    """Once nothing waits: the run is ready to write, and written at once if it was asked to be."""
    if Row.objects.filter(run=run, status=Row.Status.REVIEW).exists():
        return
    if not Run.objects.filter(pk=run.pk, status=Run.Status.REVIEW).update(status=Run.Status.READY):
        return
    current = Run.objects.get(pk=run.pk)
    if current.options.get("create_version") and current.version_id is None:
        tag = current.options.get("tag") or ""
        if tag and Version.objects.filter(dataset_id=current.dataset_id, tag=tag).exists():
            tag = ""  # taken meanwhile: the next free tag
        run_write_request(run=current, by=by, tag=tag, message=current.options.get("message") or "")


def _retrain_due(run: Run) -> None:
    decided = ReviewDecision.objects.filter(run=run, undone_at=None).count()
    if decided and decided % settings.DATASETS_RETRAIN_EVERY == 0:
        jobs.review_relabel_enqueue(run)


@transaction.atomic
def review_decide(*, row: Row, action: str, by: User, label: str = "") -> ReviewDecision:
    """Accept the suggested label, change it to ``label``, or reject the row (it leaves the dataset)."""
    locked = Row.objects.select_for_update().select_related("run").get(pk=row.pk)
    if locked.status != Row.Status.REVIEW:
        raise ValidationError(_("Someone has decided on this row already."))
    if action == ReviewDecision.Action.ACCEPT:
        label = locked.suggested_label or locked.original_label
        if not label:
            raise ValidationError(_("There is no suggestion to accept: pick a label."))
    elif action == ReviewDecision.Action.CHANGE:
        label = normalise_label(label)
        if not label:
            raise ValidationError(_("Pick or type a label."))
    elif action == ReviewDecision.Action.REJECT:
        label = ""
    else:
        raise ValidationError(_("Unknown action %(action)r.") % {"action": action})
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
    _retrain_due(locked.run)
    _review_mark_ready(locked.run, by)
    return decision


@transaction.atomic
def review_undo(*, run: Run, by: User) -> ReviewDecision | None:
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
def review_bulk_accept(
    *,
    run: Run,
    by: User,
    min_precision: float | None = None,
    min_confidence: float | None = None,
    label: str = "",
    reason: str = "",
) -> int:
    """Accept waiting suggestions (matching the filters): the most trusted first, as many as keep the expected
    precision of the accepted set at ``min_precision`` (from the calibrated confidences), or every one at or
    above ``min_confidence``."""
    if min_precision is None and min_confidence is None:
        raise ValidationError(_("Give the precision the accepted labels should reach."))
    bound = min_precision if min_precision is not None else min_confidence
    if bound is None or not 0.0 <= bound <= 1.0:
        raise ValidationError(_("The precision must be between 0 and 1."))
    waiting = selectors.review_queue(run, label=label, reason=reason).exclude(suggested_label="")
    if min_precision is None:
        rows = list(waiting.filter(confidence__gte=bound).select_for_update())
    else:
        ranked = list(waiting.exclude(calibrated_confidence=None).order_by("-calibrated_confidence", "position")
                      .select_for_update())  # fmt: skip
        expected = np.cumsum([row.calibrated_confidence or 0.0 for row in ranked]) / np.arange(1, len(ranked) + 1)
        reach = np.flatnonzero(expected >= bound)
        rows = ranked[: int(reach[-1]) + 1] if len(reach) else []
    ReviewDecision.objects.bulk_create(
        ReviewDecision(run=run, row=row, action=ReviewDecision.Action.ACCEPT, label_before=row.label,
                       label_after=row.suggested_label, reviewer=by, bulk=True)
        for row in rows
    )  # fmt: skip
    for row in rows:
        row.label, row.status, row.reviewed, row.method = row.suggested_label, Row.Status.READY, True, "review"
    bulk_update_rows(rows, ["label", "status", "reviewed", "method"])
    _review_mark_ready(run, by)
    return len(rows)


@transaction.atomic
def review_restore(*, row: Row, by: User | None) -> ReviewDecision:
    """Bring back a row rejected (in this run or an earlier one): it waits in the queue for a decision, and
    later runs of the dataset label it again (``by`` is None for an API key)."""
    locked = Row.objects.select_for_update().select_related("run").get(pk=row.pk)
    if locked.status != Row.Status.REJECTED or locked.source != Row.Source.ORIGINAL:
        raise ValidationError(_("Only a rejected row of the file can be restored."))
    decision = ReviewDecision.objects.create(
        run=locked.run, row=locked, action=ReviewDecision.Action.RESTORE, label_before="",
        label_after="", reviewer=by,
    )  # fmt: skip
    locked.status, locked.review_reason, locked.reviewed = Row.Status.REVIEW, Row.Reason.RESTORED, False
    locked.suggested_label = locked.suggested_label or locked.original_label
    locked.save(update_fields=["status", "review_reason", "reviewed", "suggested_label"])
    Run.objects.filter(pk=locked.run_id, status=Run.Status.READY).update(status=Run.Status.REVIEW)
    queue.queue_refresh(locked.run)
    return decision


def _agreement_measure(run: Run) -> Agreement:
    """Measure, on the rows the reviewers decided in the queue, how often the labeler retrained without each of
    them matches their decision; keep the figures on the run for the page and the API."""
    decided = set(selectors.decided_in_queue(run).values_list("row_id", flat=True))
    rows = list(
        Row.objects.filter(run=run, source=Row.Source.ORIGINAL, status__in=[Row.Status.READY, Row.Status.REJECTED])
        .exclude(embedding=None).values_list("pk", "embedding", "label", "status")
    )  # fmt: skip
    rows = [r for r in rows if (r[3] == Row.Status.READY and r[2]) or r[0] in decided]
    vectors = np.array([r[1] for r in rows], dtype=np.float32)
    labels = [r[2] if r[3] == Row.Status.READY else "" for r in rows]
    found = decisions_agreement(
        vectors, labels, [r[0] in decided for r in rows], target=settings.DATASETS_TARGET_PRECISION
    )
    locked = Run.objects.select_for_update().get(pk=run.pk)
    for step in locked.steps:
        if step.get("name") == "label":
            step.setdefault("counts", {})["review_agreement"] = found.as_dict()
    locked.save(update_fields=["steps"])
    run.steps = locked.steps
    return found


def review_relabel(*, run: Run) -> int:
    """Retrain on the run's labelled rows (the reviewers' decisions included) and label the waiting rows the
    labeler is now sure enough of, by the run's calibrated thresholds. Returns how many it labelled.

    A run with too few labelled rows to calibrate on has no thresholds: its threshold comes from the rows the
    reviewers decided in the queue (``labeler.decisions_agreement``), and until the labeler matches enough of
    their decisions it labels nothing and only refreshes the suggestions."""
    labelled = list(
        Row.objects.filter(run=run, source=Row.Source.ORIGINAL, status=Row.Status.READY)
        .exclude(label="").exclude(embedding=None).values_list("embedding", "label")
    )  # fmt: skip
    waiting = list(
        Row.objects.filter(run=run, status=Row.Status.REVIEW, review_reason__in=[Row.Reason.LOW_CONFIDENCE,
                                                                                 Row.Reason.UNLABELED])
        .exclude(embedding=None)
    )  # fmt: skip
    if not waiting or len({label for _vector, label in labelled}) < 2:
        return 0
    stored = run.step_state("label").get("counts", {}).get("calibration")
    with transaction.atomic():
        calibration: Calibration | Agreement = Calibration.from_dict(stored) if stored else _agreement_measure(run)
    model = train(np.array([v for v, _label in labelled], dtype=np.float32), [label for _v, label in labelled])
    vectors = np.array([row.embedding for row in waiting], dtype=np.float32)
    decided = ReviewDecision.objects.filter(run=run, undone_at=None).count()
    taken = 0
    proposed = dict(zip((row.pk for row in waiting), predictions(model, model.predict_proba(vectors)), strict=True))
    with transaction.atomic():
        # A reviewer may have decided rows while the model trained: only the rows still waiting are written.
        locked = Row.objects.select_for_update().filter(pk__in=proposed, status=Row.Status.REVIEW)
        still = set(locked.values_list("pk", flat=True))
        waiting = [row for row in waiting if row.pk in still]
        for row in waiting:
            prediction = proposed[row.pk]
            row.suggested_label, row.confidence = prediction.label, prediction.confidence
            if isinstance(calibration, Calibration):
                row.calibrated_confidence = round(float(calibration.probability_right(prediction.confidence)), 4)
            else:  # nothing to calibrate on: the queue ranks by the raw confidence; no bulk accept by it
                row.calibrated_confidence = None
            if calibration.accepts(prediction.label, prediction.confidence):
                row.label, row.status, row.method = prediction.label, Row.Status.READY, "learned"
                row.hints = {**row.hints, "learned_after": decided}
                taken += 1
        bulk_update_rows(waiting, ["suggested_label", "confidence", "calibrated_confidence", "label", "status",
                                   "method", "hints"])  # fmt: skip
        queue.queue_refresh(run)
        _review_mark_ready(run)
    return taken
