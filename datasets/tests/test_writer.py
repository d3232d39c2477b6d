"""The writer's split on its own: stratified, balanced, small labels reported, no near-duplicates across it."""

from __future__ import annotations

from collections import Counter

import numpy as np

from datasets import versions
from datasets.models import Version
from datasets.steps.write import Item, plan_split
from datasets.tests.conftest import csv_bytes, process, rows_of, upload, version_of, write


def _vectors(count: int, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(count, 32)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _plan(items: list[Item], vectors: np.ndarray | None = None, **options):
    vectors = _vectors(len(items)) if vectors is None else vectors
    return plan_split(items, vectors, eval_fraction=0.1, min_rows=5, near_duplicate=0.95, **options)


def test_each_label_is_held_out_in_proportion_and_a_tiny_label_stays_in_train():
    items = (
        [Item(i, "a") for i in range(60)] + [Item(100 + i, "b") for i in range(30)] + [Item(200, "c"), Item(201, "c")]
    )
    plan = _plan(items)
    held = Counter(items[i].label for i in plan.eval)
    assert held == {"a": 6, "b": 3}  # 10 % of each label
    assert plan.report["train_only_labels"] == {"c": 2}  # reported, not a crash
    assert {items[i].key for i in plan.train} >= {200, 201}
    assert sorted(plan.train + plan.eval) == list(range(len(items)))


def test_synthetic_rows_follow_their_original_and_never_reach_eval():
    originals = [Item(i, "a" if i % 2 else "b") for i in range(40)]
    synthetic = [Item(1000 + i, o.label, synthetic=True, parent=o.key) for i, o in enumerate(originals)]
    items = originals + synthetic
    plan = _plan(items)
    eval_keys = {items[i].key for i in plan.eval}
    assert all(not items[i].synthetic for i in plan.eval)
    kept_synthetic = [items[i] for i in plan.train if items[i].synthetic]
    assert all(s.parent not in eval_keys for s in kept_synthetic)
    assert plan.report["synthetic_dropped_with_eval_original"] == len(plan.eval)


def test_an_eval_row_nearly_identical_to_a_train_row_moves_to_train():
    items = [Item(i, "a" if i % 2 else "b") for i in range(40)]
    vectors = _vectors(40)
    vectors[1::2] = vectors[1]  # every "a" row is the same text in effect
    plan = _plan(items, vectors)
    assert not any(items[i].label == "a" for i in plan.eval)
    assert plan.report["near_duplicates_moved"] == 2  # the two "a" rows drawn for eval
    sims = vectors[plan.eval] @ vectors[plan.train].T
    assert sims.max() <= 0.95


def test_balancing_labels_and_domains():
    items = [Item(i, "a", domain="web") for i in range(40)] + [Item(100 + i, "b", domain="web") for i in range(10)]
    items += [Item(200 + i, "a" if i % 2 else "b", domain="email") for i in range(20)]
    by_label = _plan(items, balance_labels=True)
    kept = Counter(items[i].label for i in by_label.train + by_label.eval)
    assert kept == {"a": 20, "b": 20} and by_label.report["balanced_away_labels"] == 30
    by_domain = _plan(items, balance_domains=True)
    domains = Counter(items[i].domain for i in by_domain.train + by_domain.eval)
    assert domains == {"web": 20, "email": 20} and by_domain.report["balanced_away_domains"] == 30
    web_labels = Counter(items[i].label for i in by_domain.train + by_domain.eval if items[i].domain == "web")
    assert web_labels == {"a": 10, "b": 10}  # each domain keeps a mix of labels


def test_old_versions_beyond_the_limit_are_deleted_with_their_files(
    dataset, small_sample, settings, django_capture_on_commit_callbacks
):
    from django.core.files.storage import default_storage

    settings.DATASETS_MAX_VERSIONS = 1
    first = version_of(write(process(upload(dataset, csv_bytes(rows_of(small_sample))))))
    files = list(first.files.values())
    assert files and all(default_storage.exists(name) for name in files)
    with django_capture_on_commit_callbacks() as callbacks:
        version_of(write(process(upload(dataset, csv_bytes(rows_of(small_sample[:20]))))))
    for callback in callbacks:  # the deletion of the pruned files (not the queued tasks)
        if "version_delete" in getattr(callback, "__qualname__", ""):
            callback()
    assert not any(default_storage.exists(name) for name in files)
    assert list(Version.objects.filter(dataset=dataset).values_list("tag", flat=True)) == ["v1.1.0"]
    assert versions.next_tag(dataset) == "v1.2.0"
