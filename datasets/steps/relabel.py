"""Relabel: the labeler labels the synthetic rows that passed quality control.

A variant keeps its original's label only if the labeler agrees with it confidently; otherwise
the variant drifted in meaning (or is too vague) and is dropped. Reviewers never see synthetic rows.
"""

from __future__ import annotations

from collections import Counter
from typing import ClassVar

import numpy as np
from django.conf import settings
from django.utils.translation import gettext_noop

from datasets.labeler import Model, predictions, train
from datasets.models import Row
from datasets.steps.base import Counts, StepContext, save_rows


def model_from_ready_rows(context: StepContext) -> Model | None:
    rows = Row.objects.filter(run=context.run, source=Row.Source.ORIGINAL, status=Row.Status.READY).exclude(label="")
    data = list(
        rows.exclude(embedding=None).filter(embedding_model=context.embedding_model).values_list("embedding", "label")
    )
    if not data:
        return None
    return train(np.array([vector for vector, _ in data], dtype=np.float32), [label for _, label in data])


class RelabelStep:
    name: ClassVar[str] = "relabel"
    title: ClassVar[str] = gettext_noop("Relabel synthetic rows")

    def able_to_run(self, context: StepContext) -> bool:
        return context.options.augment

    def run(self, context: StepContext) -> Counts:
        low = settings.DATASETS_LOW_CONFIDENCE
        rows = list(Row.objects.filter(run=context.run, status=Row.Status.CANDIDATE).order_by("position"))
        model = context.cache.get("model") or model_from_ready_rows(context)
        counts: Counts = {
            "rows": len(rows),
            "checked": len(rows),
            "kept": 0,
            "relabel_disagrees": 0,
            "relabel_unsure": 0,
        }
        per_generator: dict[str, Counter[str]] = {}
        if rows and model is not None:
            vectors = np.array([row.embedding for row in rows], dtype=np.float32)
            for row, prediction in zip(rows, predictions(model, model.predict_proba(vectors)), strict=True):
                row.suggested_label, row.confidence, row.method = prediction.label, prediction.confidence, model.kind
                if prediction.label != row.label:
                    outcome = "relabel_disagrees"
                elif prediction.confidence < low:
                    outcome = "relabel_unsure"
                else:
                    outcome = "kept"
                if outcome == "kept":
                    row.status = Row.Status.READY
                else:
                    row.status, row.qc_reason = Row.Status.REJECTED, outcome
                counts[outcome] += 1
                per_generator.setdefault(row.generator, Counter())[outcome] += 1
        elif rows:  # no model to check them with: they cannot be trusted
            for row in rows:
                row.status, row.qc_reason = Row.Status.REJECTED, "relabel_unsure"
            counts["relabel_unsure"] = len(rows)
        save_rows(rows, ["suggested_label", "confidence", "method", "status", "qc_reason"])
        context.progress(len(rows), len(rows))
        counts["generators"] = {name: dict(c) for name, c in per_generator.items()}
        return counts
