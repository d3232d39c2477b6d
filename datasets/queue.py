"""The order of the review queue: the decisions that teach the labeler most come first.

Disputed labels first (a person settles a disagreement), then the suggestions the labeler is
least sure of (lowest calibrated confidence). Diversity: a row nearly repeating the one placed
just before it waits until something different has been shown, so a reviewer does not decide
the same message several times in a row.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from datasets.models import Row, Run
from helpdesk.db import bulk_update_rows

# Rows closer than this (cosine) to the last RECENT placed rows are held back a little. One: a longer
# memory runs out of different rows sooner and then lets the repeats come in a block.
NEAR_DUPLICATE = 0.85
RECENT = 1


def priority(row: Row) -> float:
    """Higher is more useful to decide now."""
    uncertainty = 1.0 - (row.calibrated_confidence if row.calibrated_confidence is not None else row.confidence or 0)
    return (1.0 if row.review_reason == Row.Reason.DISPUTED else 0.0) + uncertainty


def diverse_order(scores: Sequence[float], vectors: np.ndarray) -> list[int]:
    """Indices by descending score, skipping over rows too close to the last ``RECENT`` placed ones."""
    waiting = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    placed: list[int] = []
    while waiting:
        recent = vectors[placed[-RECENT:]] if placed and len(vectors) else None
        choice = 0
        if recent is not None and len(recent):
            for position, index in enumerate(waiting[:50]):
                if float((recent @ vectors[index]).max()) < NEAR_DUPLICATE:
                    choice = position
                    break
        placed.append(waiting.pop(choice))
    return placed


def queue_refresh(run: Run) -> int:
    """Rank the rows of ``run`` waiting for review; returns how many wait."""
    rows = list(Row.objects.filter(run=run, status=Row.Status.REVIEW).order_by("position"))
    if not rows:
        return 0
    if all(row.embedding is not None for row in rows):
        vectors = np.array([row.embedding for row in rows], dtype=np.float32)
    else:
        vectors = np.zeros((len(rows), 1), dtype=np.float32)
    for rank, index in enumerate(diverse_order([priority(row) for row in rows], vectors)):
        rows[index].review_rank = rank
    bulk_update_rows(rows, ["review_rank"])
    return len(rows)
