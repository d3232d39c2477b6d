"""With too few labelled rows to calibrate on, nothing is labelled on the model's word alone: the labeler labels
for the reviewer only once, retrained without each of their decisions, it matches enough of them to reach the
target precision (a lower confidence bound). In English (MiniLM) and Russian (e5), with the real models, on the
review browser test's set: 90 messages, one in ten labelled (so two of the four labels have no example)."""

from __future__ import annotations

import pytest
from django.utils import translation

from datasets import selectors, services
from datasets.labeler import NEVER, agreement, agreement_lower_bound
from datasets.models import Row
from datasets.sample import messages
from datasets.tests import russian
from datasets.tests.conftest import csv_bytes, process, rows_of, upload
from datasets.text import normalise

EVERY = 6


@pytest.fixture
def few_labels(language, dataset, settings):
    settings.DATASETS_RETRAIN_EVERY = EVERY
    settings.DATASETS_TARGET_PRECISION = 0.95
    if language == "en":
        sample = messages(90, seed=21, labels=["billing", "password", "shipping", "bug"])
    else:
        sample = russian.messages(90, seed=21)
    run = process(upload(dataset, csv_bytes(rows_of(sample, labeled_every=10))), use_llm=False,
                  labels=sorted({m.label for m in sample}))  # fmt: skip
    return run, {normalise(m.text): m.label for m in sample}


def _decide(run, gold, manager, count):
    for row in list(selectors.review_queue(run)[:count]):
        services.review_decide(row=row, action="change", label=gold[normalise(row.text)], by=manager)
    return services.review_relabel(run=run)


def test_too_few_labels_to_calibrate_on_label_nothing_until_the_decisions_show_the_labeler_is_right(
    few_labels, manager, language, api
):
    run, gold = few_labels
    counts = run.step_state("label")["counts"]
    unlabelled = Row.objects.filter(run=run, original_label="")
    assert counts["auto_labeled"] == 0 and "calibration" not in counts
    assert not unlabelled.filter(status=Row.Status.READY).exists()
    assert unlabelled.filter(status=Row.Status.REVIEW).count() >= 75  # 81, less the duplicates the file holds
    assert not unlabelled.filter(suggested_label="").exists()  # each waits with the labeler's suggestion
    assert not unlabelled.exclude(calibrated_confidence=None).exists()  # with no probability of being right
    assert services.review_bulk_accept(run=run, by=manager, min_precision=0.5) == 0  # so no bulk accept by it

    assert _decide(run, gold, manager, EVERY) == 0  # six decisions are no evidence of 95 % precision
    assert not Row.objects.filter(run=run, method="learned").exists()
    run.refresh_from_db()
    stored = run.step_state("label")["counts"]["review_agreement"]
    assert 0 < stored["decided"] == selectors.decided_in_queue(run).count() <= EVERY  # disputed rows aside
    assert not stored["reached"]
    with translation.override(language):
        waits = selectors.labelling_for_you_waits(run)
    assert waits is not None
    assert (waits["matched"], waits["decided"]) == (stored["matched"], stored["decided"])
    assert f"{stored['matched']} " in waits["message"] and f" {EVERY}" in waits["message"]
    shown = api.get(f"/api/v1/datasets/runs/{run.pk}").json()["labelled_for_you"]
    assert shown["rows"] == 0 and shown["waits"]["decided"] == stored["decided"]

    learned = 0
    while not learned and selectors.review_queue(run).exists():
        learned = _decide(run, gold, manager, EVERY)
    rows = list(Row.objects.filter(run=run, method="learned"))
    assert len(rows) == learned > 0
    assert sum(gold[normalise(r.text)] == r.label for r in rows) / learned >= 0.95
    run.refresh_from_db()
    assert run.step_state("label")["counts"]["review_agreement"]["reached"]
    assert selectors.labelling_for_you_waits(run) is None
    assert api.get(f"/api/v1/datasets/runs/{run.pk}").json()["labelled_for_you"] == {"rows": learned, "waits": None}


def test_the_lower_bound_needs_32_matches_in_a_row_for_95_percent():
    assert agreement_lower_bound(32, 32) >= 0.95 > agreement_lower_bound(31, 31)
    assert agreement_lower_bound(0, 10) == 0.0
    with pytest.raises(ValueError, match="between 0 and decided"):
        agreement_lower_bound(3, 2)


def test_the_threshold_is_the_lowest_confidence_whose_matches_reach_the_target():
    confident = [("a", 0.9 + i / 1000, "a") for i in range(40)]
    unsure = [("b", 0.5, "a")] * 5
    found = agreement(*zip(*[(p, c, d) for p, c, d in confident + unsure], strict=True), target=0.95)
    assert found.threshold == 0.9 and found.accepts("a", 0.95) and not found.accepts("a", 0.6)
    assert not found.accepts("b", 0.99)  # never matched: no label of its own
    few = agreement(["a"] * 10, [0.9] * 10, ["a"] * 10, target=0.95)
    assert few.threshold == NEVER and not few.reached
