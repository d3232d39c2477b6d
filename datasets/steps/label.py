"""Labeler: check existing labels and label the rest, each with a confidence; the LLM only when unsure.

1. Every original row is embedded (MiniLM, ``helpdesk.ai.embed``).
2. Existing labels are checked out of fold: a model that never saw the row predicts it. When
   it confidently prefers another label, the row is *disputed* and goes to review with both
   labels; its own label is kept until a reviewer decides (never silently overwritten).
3. A model trained on the confident rows (plus the current version's train split, plus the
   label names given for a cold start) labels the unlabeled rows. A row's confidence is the
   model's probability, capped by its cosine similarity to the nearest labeled example (a row
   unlike anything labeled is not confidently anything). Below
   ``DATASETS_LOW_CONFIDENCE`` the LLM is asked (within a budget); a row still unsure goes to review.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, ClassVar

import numpy as np
from django.conf import settings
from django.utils.translation import gettext_noop

from datasets.labeler import Model, out_of_fold, predictions, train
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
]


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
        low = settings.DATASETS_LOW_CONFIDENCE
        rows = list(Row.objects.filter(run=context.run, source=Row.Source.ORIGINAL).order_by("position"))
        vectors = embed_in_batches(context, [row.text for row in rows])
        counts: dict[str, Any] = {"rows": len(rows), "kept": 0, "disputed": 0, "weak_disagreements": 0,
                                  "auto_labeled": 0, "low_confidence": 0, "llm_asked": 0, "llm_agreed": 0,
                                  "llm_errors": 0, "unlabeled": 0, "novel": 0}  # fmt: skip
        for row, vector in zip(rows, vectors, strict=True):
            row.embedding = vector
            row.embedding_model = context.embedding_model
        self._check_existing(rows, vectors, counts, low)
        train_vectors, train_labels = training_set(context, rows, vectors)
        model: Model | None = train(train_vectors, train_labels) if train_labels else None
        context.cache["model"] = model
        self._label_missing(context, rows, vectors, model, train_vectors, counts, low)
        save_rows(rows, FIELDS)
        counts["model"] = model.kind if model is not None else "none"
        counts["labels"] = dict(
            Counter(row.label or row.suggested_label for row in rows if row.label or row.suggested_label)
        )
        return counts

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
            if row.confidence is not None and row.confidence >= low:
                row.label, row.status = row.suggested_label, Row.Status.READY
                counts["auto_labeled"] += 1
            else:
                row.status, row.review_reason = Row.Status.REVIEW, Row.Reason.LOW_CONFIDENCE
                counts["low_confidence"] += 1
        counts["llm_asked"], counts["llm_errors"] = budget.calls, budget.errors
