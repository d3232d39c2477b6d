"""Labeler: check existing labels and label the rest, as sure as the labelled rows show it can be.

1. Every original row is embedded once (the tenant's model, ``helpdesk.ai.embed``); the vectors
   are stored on the rows and reused by every later step and by the review queue.
2. A row rejected by a reviewer in an earlier run of the dataset (same id or same text) stays
   rejected, until a person restores it.
3. Existing labels are predicted out of fold (a model that never saw the row). From those
   predictions the labeler learns, per label, the confidence at which its predictions were right
   ``DATASETS_TARGET_PRECISION`` of the time (``labeler.calibrate``), and how often a prediction at
   a given confidence is right. Each given label's probability of being wrong is estimated from the
   out-of-fold probabilities under uniform label noise (``labeler.label_noise``); the labels the
   out-of-fold model contradicts are *disputed*, most probably wrong first, until the disputes hold
   ``DISPUTE_RECALL`` of the expected wrong labels. A disputed row goes to review with both labels
   and its probability of being wrong (their mean is the expected precision of the disputes); its
   own label is kept until a reviewer decides.
4. Self-training: a model trained on the undisputed rows (plus the current version's train split)
   labels the unlabelled rows whose prediction reaches its label's threshold, is retrained with
   them and labels again, until no row changes. A row unlike every labelled one (further from
   its nearest example than almost any labelled row is from its own) is never auto-labelled.
   The rest wait for review with their suggestion; the LLM is asked only if the run asks for it.

With too few labelled rows to calibrate on (a cold start from label names), no confidence can be trusted:
the labeler's suggestions only rank the review queue and nothing is labelled on the model's word alone (a
suggestion the LLM independently agrees with is the one exception, when the run asks for the LLM). The
review queue's relabelling starts once the suggestions have matched enough of the reviewers' decisions
(``selectors.suggestion_agreement``).
"""

from __future__ import annotations

from collections import Counter
from typing import Any, ClassVar

import numpy as np
from django.conf import settings
from django.utils.translation import gettext_noop

from datasets import queue, selectors
from datasets.labeler import (
    Calibration,
    Model,
    calibrate,
    label_noise,
    leave_one_out_nearest,
    linear_possible,
    out_of_fold,
    predictions,
    train,
)
from datasets.models import Row, VersionRow
from datasets.steps import prompts
from datasets.steps.base import Counts, StepContext, embed_in_batches, save_rows

FIELDS = [
    "embedding",
    "embedding_model",
    "suggested_label",
    "confidence",
    "method",
    "label",
    "status",
    "review_reason",
    "hints",
    "calibrated_confidence",
    "review_rank",
]
# Disputes take the given labels most probably wrong until they hold this share of the expected wrong labels;
# a given label less probably wrong than DISPUTE_MIN_PROBABILITY is never disputed.
DISPUTE_RECALL = 0.9
DISPUTE_MIN_PROBABILITY = 0.02
# Share of labelled rows allowed to be further from their nearest neighbour than an auto-labelled row may be.
NOVELTY_QUANTILE = 0.02
MAX_SELF_TRAINING_ROUNDS = 10


def version_examples(context: StepContext) -> tuple[np.ndarray, list[str]]:
    """The current version's train rows embedded with the run's model (at most 50,000)."""
    version = context.run.dataset.current_version
    if version is None:
        return np.zeros((0, 0), dtype=np.float32), []
    seeded = list(
        VersionRow.objects.filter(
            version=version, split=VersionRow.Split.TRAIN, embedding__isnull=False,
            embedding_model=context.embedding_model,
        )
        .values_list("embedding", "label")
        .order_by("position")[:50_000]
    )  # fmt: skip
    if not seeded:
        return np.zeros((0, 0), dtype=np.float32), []
    return np.array([vector for vector, _ in seeded], dtype=np.float32), [label for _, label in seeded]


def training_set(context: StepContext, rows: list[Row], vectors: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Confident labeled rows of this run, the current version's train rows and the given label names."""
    parts: list[np.ndarray] = []
    labels: list[str] = []
    confident = [i for i, row in enumerate(rows) if row.label and row.status == Row.Status.READY]
    if confident:
        parts.append(vectors[confident])
        labels += [rows[i].label for i in confident]
    version = context.run.dataset.current_version
    if version is not None:
        seeded = list(
            VersionRow.objects.filter(
                version=version,
                split=VersionRow.Split.TRAIN,
                embedding__isnull=False,
                embedding_model=context.embedding_model,
            )
            .values_list("embedding", "label")
            .order_by("position")[:50_000]
        )
        if seeded:
            parts.append(np.array([vector for vector, _ in seeded], dtype=np.float32))
            labels += [label for _, label in seeded]
    missing = [label for label in context.options.labels if label not in set(labels)]
    if missing:  # a cold start: the label names themselves are the only examples
        parts.append(context.embed([label.replace("_", " ").replace("-", " ") for label in missing]))
        labels += missing
    if not parts:
        return np.zeros((0, vectors.shape[1] if vectors.size else 0), dtype=np.float32), []
    return np.vstack(parts).astype(np.float32), labels


def nearest_similarity(vectors: np.ndarray, examples: np.ndarray) -> np.ndarray:
    """Each row's cosine similarity to its nearest example (unit vectors: a dot product)."""
    out = np.zeros(len(vectors), dtype=np.float32)
    for start in range(0, len(vectors), 1024):
        out[start : start + 1024] = (vectors[start : start + 1024] @ examples.T).max(axis=1)
    return out


class LabelStep:
    name: ClassVar[str] = "label"
    title: ClassVar[str] = gettext_noop("Label")

    def able_to_run(self, context: StepContext) -> bool:
        return True

    def run(self, context: StepContext) -> Counts:
        rows = list(Row.objects.filter(run=context.run, source=Row.Source.ORIGINAL).order_by("position"))
        vectors = embed_in_batches(context, [row.text for row in rows])
        counts: dict[str, Any] = {"rows": len(rows), "kept": 0, "disputed": 0, "weak_disagreements": 0,
                                  "auto_labeled": 0, "low_confidence": 0, "llm_asked": 0, "llm_agreed": 0,
                                  "llm_errors": 0, "unlabeled": 0, "novel": 0, "rejected_before": 0,
                                  "label_llm": context.options.use_llm and context.options.label_with_llm}  # fmt: skip
        for row, vector in zip(rows, vectors, strict=True):
            row.embedding = vector
            row.embedding_model = context.embedding_model
        active = self._keep_rejections(context, rows, counts)
        given = [rows[i].original_label for i in active if rows[i].original_label]
        model: Model | None
        if linear_possible(given) and len(set(given)) >= 2:
            model = self._calibrated(context, rows, vectors, active, counts)
        else:
            low = settings.DATASETS_LOW_CONFIDENCE
            self._check_existing([rows[i] for i in active], vectors[active], counts, low)
            train_vectors, train_labels = training_set(context, rows, vectors)
            model = train(train_vectors, train_labels) if train_labels else None
            subset = [rows[i] for i in active]
            self._label_missing(context, subset, vectors[active], model, train_vectors, counts, low)
            for row in subset:  # nothing to calibrate on: no probability of being right, no bulk accept by it
                row.calibrated_confidence = None
        context.cache["model"] = model
        context.cache["vectors"] = dict(zip((row.pk for row in rows), vectors, strict=True))
        save_rows(rows, FIELDS)
        queue.queue_refresh(context.run)
        counts["model"] = model.kind if model is not None else "none"
        counts["labels"] = dict(
            Counter(row.label or row.suggested_label for row in rows if row.label or row.suggested_label)
        )
        return counts

    def _keep_rejections(self, context: StepContext, rows: list[Row], counts: dict[str, Any]) -> list[int]:
        """Rows a reviewer rejected in an earlier run stay rejected; the indices of the others."""
        hashes, ids = selectors.rejected_before(context.run)
        active = []
        for i, row in enumerate(rows):
            if row.text_hash in hashes or (row.external_id and row.external_id in ids):
                row.status, row.method, row.label = Row.Status.REJECTED, "rejected_before", ""
                row.hints = {**row.hints, "rejected_before": True}
                counts["rejected_before"] += 1
            else:
                active.append(i)
        return active

    def _calibrated(
        self, context: StepContext, rows: list[Row], vectors: np.ndarray, active: list[int], counts: dict[str, Any]
    ) -> Model:
        target = settings.DATASETS_TARGET_PRECISION
        labelled = [i for i in active if rows[i].original_label]
        given = [rows[i].original_label for i in labelled]
        labels, proba = out_of_fold(vectors[labelled], given)
        noise = label_noise(labels, proba, given, recall=DISPUTE_RECALL, floor=DISPUTE_MIN_PROBABILITY)
        column = {label: j for j, label in enumerate(labels)}
        keep: list[int] = []
        for position, i in enumerate(labelled):
            row, p = rows[i], proba[position]
            best = int(p.argmax())
            own = float(p[column[row.original_label]])
            if noise.flagged[position]:
                counts["disputed"] += 1
                row.suggested_label, row.confidence, row.method = labels[best], float(p[best]), "disputed"
                row.calibrated_confidence = round(float(noise.wrong[position]), 4)
                row.status, row.review_reason = Row.Status.REVIEW, Row.Reason.DISPUTED
                row.hints = {**row.hints, "own_label_confidence": round(own, 3),
                             "given_label_wrong": round(float(noise.wrong[position]), 3)}  # fmt: skip
                continue
            keep.append(position)
            counts["kept"] += 1
            counts["weak_disagreements"] += labels[best] != row.original_label
            row.suggested_label, row.confidence, row.method = row.original_label, own, "kept"
            row.label, row.status = row.original_label, Row.Status.READY
        calibration = calibrate(labels, proba[keep], [given[k] for k in keep], target=target)
        context.cache["calibration"] = calibration
        counts["calibration"] = calibration.as_dict()
        counts["target_precision"] = target
        counts["dispute_expected_precision"] = (
            round(noise.expected_precision, 4) if noise.expected_precision is not None else None
        )
        counts["dispute_expected_recall"] = (
            round(noise.expected_recall, 4) if noise.expected_recall is not None else None
        )
        counts["estimated_wrong_labels"] = round(noise.estimated_wrong_labels, 1)
        kept_vectors = vectors[[labelled[k] for k in keep]]
        floor = float(np.quantile(leave_one_out_nearest(kept_vectors), NOVELTY_QUANTILE)) if len(keep) > 1 else 0.0
        counts["novelty_floor"] = round(floor, 4)
        extra_vectors, extra_labels = version_examples(context)
        model = self._self_train(
            context, rows, vectors, active, calibration, floor, extra_vectors, extra_labels, counts
        )
        auto = [rows[i] for i in active if rows[i].method == "self_training"]
        counts["expected_accuracy"] = (
            round(float(np.mean([calibration.expected_precision(row.label) for row in auto])), 4) if auto else None
        )
        return model

    def _self_train(
        self, context: StepContext, rows: list[Row], vectors: np.ndarray, active: list[int], calibration: Calibration,
        floor: float, extra_vectors: np.ndarray, extra_labels: list[str], counts: dict[str, Any],
    ) -> Model:  # fmt: skip
        """Label the confident unlabelled rows, retrain with them, and again, until nothing changes."""
        pending = [i for i in active if not rows[i].original_label]
        rounds = 0
        while True:
            ready = [i for i in active if rows[i].status == Row.Status.READY and rows[i].label]
            train_vectors = vectors[ready]
            train_labels = [rows[i].label for i in ready]
            if len(extra_labels):
                train_vectors = np.vstack([train_vectors, extra_vectors])
                train_labels = train_labels + extra_labels
            model = train(train_vectors, train_labels)
            if not pending or rounds >= MAX_SELF_TRAINING_ROUNDS:
                break
            found = predictions(model, model.predict_proba(vectors[pending]))
            from_rows = vectors[ready] if ready else train_vectors
            nearest = nearest_similarity(vectors[pending], from_rows)
            taken: list[int] = []
            for i, prediction, similarity in zip(pending, found, nearest, strict=True):
                if calibration.accepts(prediction.label, prediction.confidence) and similarity >= floor:
                    row = rows[i]
                    row.suggested_label = row.label = prediction.label
                    row.confidence = prediction.confidence
                    row.calibrated_confidence = round(float(calibration.probability_right(prediction.confidence)), 4)
                    row.method, row.status = "self_training", Row.Status.READY
                    row.hints = {**row.hints, "self_training_round": rounds + 1,
                                 "nearest_similarity": round(float(similarity), 3)}  # fmt: skip
                    taken.append(i)
            if not taken:
                break
            rounds += 1
            counts["auto_labeled"] += len(taken)
            gone = set(taken)
            pending = [i for i in pending if i not in gone]
        counts["self_training_rounds"] = rounds
        self._to_review(context, rows, vectors, pending, model, calibration, floor, counts)
        return model

    def _to_review(
        self, context: StepContext, rows: list[Row], vectors: np.ndarray, pending: list[int], model: Model,
        calibration: Calibration, floor: float, counts: dict[str, Any],
    ) -> None:  # fmt: skip
        if not pending:
            return
        labelled = [i for i, row in enumerate(rows) if row.status == Row.Status.READY and row.label]
        nearest = nearest_similarity(vectors[pending], vectors[labelled]) if labelled else np.zeros(len(pending))
        use_llm = context.options.use_llm and context.options.label_with_llm and prompts.available()
        budget = prompts.Budget(settings.DATASETS_LLM_MAX_CALLS if use_llm else 0)
        found = predictions(model, model.predict_proba(vectors[pending]))
        for i, prediction, similarity in zip(pending, found, nearest, strict=True):
            row = rows[i]
            row.suggested_label, row.confidence, row.method = prediction.label, prediction.confidence, model.kind
            row.calibrated_confidence = round(float(calibration.probability_right(prediction.confidence)), 4)
            row.hints = {**row.hints, "nearest_similarity": round(float(similarity), 3)}
            counts["novel"] += bool(similarity < floor)
            if use_llm and len(model.labels) > 1:
                answer = prompts.ask_label(row.text, model.labels, budget)
                if answer is not None:
                    row.hints = {**row.hints, "llm_label": answer}
                if answer == prediction.label:  # two independent opinions agree
                    counts["llm_agreed"] += 1
                    row.label, row.method, row.status = answer, "llm", Row.Status.READY
                    counts["auto_labeled"] += 1
                    continue
            row.status, row.review_reason = Row.Status.REVIEW, Row.Reason.LOW_CONFIDENCE
            counts["low_confidence"] += 1
        counts["llm_asked"], counts["llm_errors"] = budget.calls, budget.errors

    def _check_existing(self, rows: list[Row], vectors: np.ndarray, counts: dict[str, Any], low: float) -> None:
        labeled = [i for i, row in enumerate(rows) if row.original_label]
        if not labeled:
            return
        given = [rows[i].original_label for i in labeled]
        if len(set(given)) < 2:  # nothing to compare against: the labels stand as given
            for i in labeled:
                rows[i].suggested_label, rows[i].method, rows[i].status = (
                    rows[i].original_label,
                    "kept",
                    Row.Status.READY,
                )
                counts["kept"] += 1
            return
        labels, proba = out_of_fold(vectors[labeled], given)
        column = {label: j for j, label in enumerate(labels)}
        for position, i in enumerate(labeled):
            row, p = rows[i], proba[position]
            best = int(p.argmax())
            own = float(p[column[row.original_label]])
            if labels[best] == row.original_label or p[best] < low:
                counts["kept"] += 1
                counts["weak_disagreements"] += labels[best] != row.original_label
                row.suggested_label, row.confidence, row.method = row.original_label, own, "kept"
                row.status = Row.Status.READY
            else:
                counts["disputed"] += 1
                row.suggested_label, row.confidence, row.method = labels[best], float(p[best]), "disputed"
                row.status, row.review_reason = Row.Status.REVIEW, Row.Reason.DISPUTED
                row.hints = {**row.hints, "own_label_confidence": round(own, 3)}

    def _label_missing(
        self, context: StepContext, rows: list[Row], vectors: np.ndarray, model: Model | None,
        train_vectors: np.ndarray, counts: dict[str, Any], low: float,
    ) -> None:  # fmt: skip
        missing = [i for i, row in enumerate(rows) if not row.original_label]
        if not missing:
            return
        if model is None:
            for i in missing:
                rows[i].status, rows[i].review_reason, rows[i].method = Row.Status.REVIEW, Row.Reason.UNLABELED, ""
                counts["unlabeled"] += 1
            return
        proba = model.predict_proba(vectors[missing])
        nearest = nearest_similarity(vectors[missing], train_vectors)
        budget = prompts.Budget(
            settings.DATASETS_LLM_MAX_CALLS if context.options.use_llm and prompts.available() else 0
        )
        for i, prediction, similarity in zip(missing, predictions(model, proba), nearest, strict=True):
            row = rows[i]
            # A row unlike every labeled one is not confidently anything, whatever the vote among its
            # (distant) neighbours says: its confidence is capped by how close the nearest example is.
            confidence = min(prediction.confidence, float(similarity))
            row.suggested_label, row.confidence, row.method = prediction.label, confidence, model.kind
            row.hints = {**row.hints, "nearest_similarity": round(float(similarity), 3)}
            counts["novel"] += confidence < prediction.confidence and confidence < low
            if confidence < low and len(model.labels) > 1:
                answer = prompts.ask_label(row.text, model.labels, budget)
                if answer is not None:
                    row.hints = {**row.hints, "llm_label": answer}
                if answer == prediction.label:  # two independent opinions agree: confident enough
                    counts["llm_agreed"] += 1
                    row.confidence, row.method = max(confidence, low), "llm"
            if row.method == "llm":
                row.label, row.status = row.suggested_label, Row.Status.READY
                counts["auto_labeled"] += 1
            else:
                row.status, row.review_reason = Row.Status.REVIEW, Row.Reason.LOW_CONFIDENCE
                counts["low_confidence"] += 1
        counts["llm_asked"], counts["llm_errors"] = budget.calls, budget.errors
