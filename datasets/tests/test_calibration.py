"""Calibrated labeling, in English (MiniLM) and Russian (e5), with the real embedding models.

The auto-label threshold of each label comes from out-of-fold predictions on the rows that have
labels, so the automatic labels reach DATASETS_TARGET_PRECISION and the run says what accuracy
to expect; confident rows are labelled, the model retrained and asked again until nothing
changes; a given label the out-of-fold model confidently contradicts is disputed.
"""

from __future__ import annotations

import random

from datasets.models import Row
from datasets.sample import Message, messages
from datasets.tests import russian
from datasets.tests.conftest import csv_bytes, process, rows_of, upload
from datasets.text import normalise

LABELS = ["billing", "password", "shipping", "bug"]


def corpus(language: str, count: int, seed: int) -> list[Message]:
    if language == "en":
        return messages(count, seed=seed, labels=LABELS, hard=True)
    return russian.messages(count, seed=seed)


def noisy_labels(sample: list[Message], every: int, share: float, seed: int) -> dict[int, str]:
    """Wrong labels on ``share`` of the labelled rows (every ``every``-th row has a label)."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    labelled = [i for i in range(len(sample)) if i % every == 0]
    labels = sorted({m.label for m in sample})
    chosen = rng.sample(labelled, round(share * len(labelled)))
    return {i: rng.choice([x for x in labels if x != sample[i].label]) for i in chosen}


def test_auto_labels_reach_the_target_precision_and_the_run_says_what_to_expect(dataset, language, settings):
    settings.DATASETS_TARGET_PRECISION = 0.95
    sample = corpus(language, 240, seed=11)
    run = process(upload(dataset, csv_bytes(rows_of(sample, labeled_every=3))))
    counts = run.step_state("label")["counts"]
    calibration = counts["calibration"]
    assert calibration["target"] == 0.95 and calibration["rows"] >= 70
    assert set(calibration["thresholds"]) <= set(LABELS) | set(russian.PHRASES)
    gold = {normalise(m.text): m.label for m in sample}
    auto = list(Row.objects.filter(run=run, original_label="", status=Row.Status.READY))
    unlabelled = Row.objects.filter(run=run, original_label="").count()
    accuracy = sum(gold[row.text] == row.label for row in auto) / len(auto)
    assert len(auto) / unlabelled >= 0.6, counts
    assert accuracy >= 0.93, counts
    assert counts["expected_accuracy"] is not None and abs(counts["expected_accuracy"] - accuracy) <= 0.06
    assert counts["auto_labeled"] == len(auto)
    # every waiting suggestion says how often such a suggestion was right
    for row in Row.objects.filter(run=run, status=Row.Status.REVIEW):
        assert row.calibrated_confidence is not None and 0 <= row.calibrated_confidence <= 1


def test_a_stricter_target_labels_fewer_rows_more_precisely(dataset, language, settings):
    sample = corpus(language, 200, seed=5)
    data = csv_bytes(rows_of(sample, labeled_every=3))
    settings.DATASETS_TARGET_PRECISION = 0.8
    loose = process(upload(dataset, data)).step_state("label")["counts"]
    settings.DATASETS_TARGET_PRECISION = 0.995
    strict = process(upload(dataset, data)).step_state("label")["counts"]
    assert strict["auto_labeled"] <= loose["auto_labeled"], (strict, loose)
    for label, threshold in loose["calibration"]["thresholds"].items():
        assert strict["calibration"]["thresholds"][label] >= threshold
    if language == "en":  # the Russian fixture is separable enough that every prediction is right at both
        assert strict["auto_labeled"] < loose["auto_labeled"], (strict, loose)


def test_self_training_labels_again_after_learning_from_its_confident_rows(dataset, language, settings):
    settings.DATASETS_TARGET_PRECISION = 0.9
    sample = corpus(language, 240, seed=3)
    run = process(upload(dataset, csv_bytes(rows_of(sample, labeled_every=5))))
    counts = run.step_state("label")["counts"]
    assert counts["self_training_rounds"] >= 2, counts
    later = Row.objects.filter(run=run, method="self_training", hints__self_training_round__gte=2)
    assert later.exists()
    gold = {normalise(m.text): m.label for m in sample}
    assert sum(gold[row.text] == row.label for row in later) / later.count() >= 0.75


def test_wrong_given_labels_are_disputed_with_an_expected_precision(dataset, language, settings):
    sample = corpus(language, 240, seed=21)
    wrong = noisy_labels(sample, every=3, share=0.08, seed=1)
    run = process(upload(dataset, csv_bytes(rows_of(sample, labeled_every=3, noisy=wrong))))
    counts = run.step_state("label")["counts"]
    disputed = Row.objects.filter(run=run, review_reason=Row.Reason.DISPUTED)
    planted = {normalise(sample[i].text) for i in wrong}
    caught = disputed.filter(text__in=planted).count()
    assert caught >= 0.8 * len(planted), (caught, len(planted))
    precision = caught / disputed.count()
    assert precision >= 0.6
    assert counts["dispute_expected_precision"] is not None and 0.5 <= counts["dispute_expected_precision"] <= 1
    for row in disputed.filter(text__in=planted):
        assert row.label == row.original_label  # kept until a person decides
        assert row.suggested_label == next(m.label for m in sample if normalise(m.text) == row.text)


def test_the_run_page_and_the_api_show_the_expected_accuracy(dataset, language, manager_client, api):
    sample = corpus(language, 150, seed=13)
    run = process(upload(dataset, csv_bytes(rows_of(sample, labeled_every=3))))
    expected = run.step_state("label")["counts"]["expected_accuracy"]
    assert expected is not None
    html = manager_client.get(f"/datasets/runs/{run.pk}/").content.decode()
    assert "Expected accuracy of the" in html and "did not ask the LLM" in html
    status = api.get(f"/api/v1/datasets/runs/{run.pk}").json()
    label = next(step for step in status["steps"] if step["name"] == "label")
    assert label["counts"]["expected_accuracy"] == expected
    assert label["counts"]["calibration"]["target"] == 0.95


def test_the_disputes_say_how_many_labels_look_wrong_and_how_many_disputes_will_be_right(dataset, language):
    sample = corpus(language, 450, seed=31)
    wrong = noisy_labels(sample, every=3, share=0.06, seed=3)
    run = process(upload(dataset, csv_bytes(rows_of(sample, labeled_every=3, noisy=wrong))))
    counts = run.step_state("label")["counts"]
    disputed = Row.objects.filter(run=run, review_reason=Row.Reason.DISPUTED)
    planted = {normalise(sample[i].text) for i in wrong}
    caught = disputed.filter(text__in=planted).count()
    precision = caught / disputed.count()
    figures = {k: counts[k] for k in ("disputed", "estimated_wrong_labels", "dispute_expected_precision",
                                      "dispute_expected_recall")}  # fmt: skip
    # the estimates are honest: the wrong labels counted, the precision the reviewer will see
    assert abs(counts["estimated_wrong_labels"] - len(planted)) <= 0.5 * len(planted), (len(planted), figures)
    assert abs(counts["dispute_expected_precision"] - precision) <= 0.25, (precision, caught, figures)
    assert 0.7 <= counts["dispute_expected_recall"] <= 1, figures
    for row in disputed:  # each dispute says how probably its given label is wrong
        assert row.calibrated_confidence and abs(row.hints["given_label_wrong"] - row.calibrated_confidence) <= 1e-3
