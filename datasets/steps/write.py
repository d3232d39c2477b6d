"""Writer: a balanced, stratified train/eval split with no near-duplicates across it, frozen as a version.

- Per-domain balancing keeps as many original rows of each domain as the smallest domain has
  (chosen round-robin over labels, so each domain keeps its label mix); per-label balancing
  cuts every label to the smallest label that can be split, originals before synthetic rows.
- The eval split holds original rows only, ``DATASETS_EVAL_FRACTION`` of each label
  (scikit-learn's stratified split); a label with fewer than ``DATASETS_MIN_ROWS_PER_LABEL``
  rows stays in train only and is reported.
- Synthetic rows follow their original: into train, or dropped when it went to eval.
- An eval row more similar than ``DATASETS_NEAR_DUPLICATE`` to any train row moves to train.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from django.conf import settings
from django.utils.translation import gettext_noop

from datasets import versions
from datasets.models import Row
from datasets.steps.base import Counts, StepContext, StepFailed


@dataclass(frozen=True)
class Item:
    key: int
    label: str
    domain: str = ""
    synthetic: bool = False
    parent: int | None = None


@dataclass
class SplitPlan:
    train: list[int] = field(default_factory=list)  # indices into the items
    eval: list[int] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)


def _round_robin(indices: list[int], items: Sequence[Item], keep: int, rng: random.Random) -> list[int]:
    by_label: dict[str, list[int]] = defaultdict(list)
    for index in indices:
        by_label[items[index].label].append(index)
    queues = [rng.sample(group, len(group)) for _, group in sorted(by_label.items())]
    kept: list[int] = []
    while len(kept) < keep:
        for queue in queues:
            if queue and len(kept) < keep:
                kept.append(queue.pop())
    return kept


def _balance_domains(originals: list[int], items: Sequence[Item], rng: random.Random) -> tuple[list[int], int]:
    by_domain: dict[str, list[int]] = defaultdict(list)
    for index in originals:
        by_domain[items[index].domain].append(index)
    if len(by_domain) < 2:
        return originals, 0
    target = min(len(group) for group in by_domain.values())
    kept = [i for _, group in sorted(by_domain.items()) for i in _round_robin(group, items, target, rng)]
    return sorted(kept), len(originals) - len(kept)


def _balance_labels(
    chosen: list[int], items: Sequence[Item], min_rows: int, rng: random.Random
) -> tuple[list[int], int]:
    by_label: dict[str, list[int]] = defaultdict(list)
    for index in chosen:
        by_label[items[index].label].append(index)
    sizes = [len(group) for group in by_label.values() if len(group) >= min_rows]
    if len(sizes) < 2:
        return chosen, 0
    target = min(sizes)
    kept: list[int] = []
    for group in by_label.values():
        originals = rng.sample([i for i in group if not items[i].synthetic], sum(not items[i].synthetic for i in group))
        synthetic = rng.sample([i for i in group if items[i].synthetic], sum(items[i].synthetic for i in group))
        kept += (originals + synthetic)[: max(target, 0) if len(group) >= min_rows else len(group)]
    return sorted(kept), len(chosen) - len(kept)


def _stratified(indices: list[int], labels: list[str], fraction: float, seed: int) -> tuple[list[int], list[int]]:
    # heavy: loaded on first use (scikit-learn takes a second to import)
    from sklearn.model_selection import train_test_split

    classes = len(set(labels))
    size = min(max(classes, round(fraction * len(indices))), len(indices) - classes)
    train, held = train_test_split(indices, test_size=size, stratify=labels, random_state=seed)
    return list(train), list(held)


def _move_near_duplicates(plan: SplitPlan, vectors: np.ndarray, threshold: float) -> int:
    if not plan.eval or not plan.train:
        return 0
    train_vectors = vectors[plan.train]
    moved: list[int] = []
    for start in range(0, len(plan.eval), 512):
        block = plan.eval[start : start + 512]
        nearest = (vectors[block] @ train_vectors.T).max(axis=1)
        moved += [index for index, sim in zip(block, nearest, strict=True) if sim > threshold]
    if moved:
        gone = set(moved)
        plan.eval = [i for i in plan.eval if i not in gone]
        plan.train += moved
    return len(moved)


def plan_split(
    items: Sequence[Item],
    vectors: np.ndarray,
    *,
    eval_fraction: float,
    min_rows: int,
    near_duplicate: float,
    balance_labels: bool = False,
    balance_domains: bool = False,
    seed: int = 0,
) -> SplitPlan:
    """Which items go to train and which to eval, and a report of every choice that dropped or moved rows."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible split, not secrets
    plan = SplitPlan()
    originals = [i for i, item in enumerate(items) if not item.synthetic]
    synthetic = [i for i, item in enumerate(items) if item.synthetic]
    report: dict[str, Any] = {"balanced_away_domains": 0, "balanced_away_labels": 0}
    if balance_domains:
        kept, report["balanced_away_domains"] = _balance_domains(originals, items, rng)
        kept_keys = {items[i].key for i in kept}
        synthetic = [i for i in synthetic if items[i].parent in kept_keys]
        originals = kept
    chosen = sorted(originals + synthetic)
    if balance_labels:
        chosen, report["balanced_away_labels"] = _balance_labels(chosen, items, min_rows, rng)
    chosen_set = set(chosen)
    originals = [i for i in originals if i in chosen_set]
    synthetic = [i for i in synthetic if i in chosen_set]
    per_label = Counter(items[i].label for i in originals)
    small = {label: n for label, n in per_label.items() if n < min_rows}
    eligible = [i for i in originals if items[i].label not in small]
    if len({items[i].label for i in eligible}) >= 1 and len(eligible) >= 2:
        plan.train, plan.eval = _stratified(eligible, [items[i].label for i in eligible], eval_fraction, seed)
    else:
        plan.train = list(eligible)
    plan.train += [i for i in originals if items[i].label in small]
    in_eval = {items[i].key for i in plan.eval}
    dropped = [i for i in synthetic if items[i].parent in in_eval]
    plan.train += [i for i in synthetic if items[i].parent not in in_eval]
    report["train_only_labels"] = dict(sorted(small.items()))
    report["synthetic_dropped_with_eval_original"] = len(dropped)
    report["near_duplicates_moved"] = _move_near_duplicates(plan, vectors, near_duplicate)
    plan.train.sort()
    plan.eval.sort()
    plan.report = report
    return plan


class WriteStep:
    name: ClassVar[str] = "write"
    title: ClassVar[str] = gettext_noop("Write version")

    def able_to_run(self, context: StepContext) -> bool:
        return True

    def run(self, context: StepContext) -> Counts:
        run = context.run
        rows = list(
            Row.objects.filter(run=run, status=Row.Status.READY)
            .exclude(label="")
            .order_by("position")
            .only("pk", "label", "domain", "source", "parent_id", "embedding")
        )
        if not rows:
            raise StepFailed("No labeled row is ready to be written: review the queue first.")
        items = [Item(row.pk, row.label, row.domain, row.source == Row.Source.SYNTHETIC, row.parent_id) for row in rows]
        vectors = np.array([row.embedding for row in rows], dtype=np.float32)
        context.progress(1, 3)
        plan = plan_split(
            items,
            vectors,
            eval_fraction=settings.DATASETS_EVAL_FRACTION,
            min_rows=settings.DATASETS_MIN_ROWS_PER_LABEL,
            near_duplicate=settings.DATASETS_NEAR_DUPLICATE,
            balance_labels=context.options.balance_labels,
            balance_domains=context.options.balance_domains,
        )
        plan.report["pending_review"] = Row.objects.filter(run=run, status=Row.Status.REVIEW).count()
        context.progress(2, 3)
        version = versions.version_create(
            run=run,
            train_ids=[items[i].key for i in plan.train],
            eval_ids=[items[i].key for i in plan.eval],
            report=plan.report,
            tag=context.options.tag,
            message=context.options.message,
            author=context.cache.get("author") or run.created_by,
        )
        context.progress(3, 3)
        context.cache["version"] = version
        return {
            "rows": len(rows),
            "version": version.tag,
            "train": version.train_count,
            "eval": version.eval_count,
            **plan.report,
        }
