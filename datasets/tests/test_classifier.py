"""The classifier trained from a version, its figures, and the assistants using it when a manager chooses."""

from __future__ import annotations

import numpy as np
import pytest

from assistants.engine.answering import prepare
from assistants.services import assistant_create
from datasets import classifier
from datasets.labeler import LinearModel, NeighbourModel, out_of_fold, train
from datasets.models import Classifier
from datasets.tests.conftest import version_of


def test_the_classifier_is_trained_with_eval_figures_and_a_neighbour_baseline(written):
    version = version_of(written)
    trained = Classifier.objects.get(version=version)
    assert trained.status == "ready" and trained.labels == ["billing", "password", "shipping"]
    assert trained.train_rows == version.train_count and trained.eval_rows == version.eval_count
    metrics = trained.metrics
    assert 0 <= metrics["macro_f1"] <= 1 and 0 <= metrics["accuracy"] <= 1
    assert set(version.counts["eval"]) <= set(metrics["per_label"]) <= {"billing", "password", "shipping"}
    assert {"accuracy", "macro_f1"} <= set(metrics["neighbours"])
    assert trained.file.endswith(".npz")
    [label] = classifier.classify(["The tracking number of my parcel does not work"], version=version)
    assert label.label == "shipping" and label.confidence > 0.34


def test_a_version_of_one_label_cannot_train_a_classifier(written):
    version = version_of(written)
    version.rows.update(label="billing")
    trained = classifier.classifier_train(version=version)
    assert trained.status == "failed" and "at least two labels" in trained.error
    assert classifier.classify_one("anything", version_id=version.pk) is None


def test_linear_model_weights_round_trip_without_pickle():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(40, 8)).astype(np.float32)
    labels = ["a" if v[0] > 0 else "b" for v in vectors]
    model = LinearModel.fit(vectors, labels)
    again = LinearModel.from_bytes(model.to_bytes())
    assert again.labels == ["a", "b"]
    np.testing.assert_allclose(again.predict_proba(vectors), model.predict_proba(vectors), rtol=1e-5)
    assert (np.array(again.labels)[again.predict_proba(vectors).argmax(axis=1)] == np.array(labels)).mean() > 0.9


def test_neighbours_for_small_sets_and_out_of_fold_checks_every_row():
    vectors = np.eye(6, dtype=np.float32)
    vectors[3] = vectors[0] * 0.9 + vectors[3] * 0.1
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    labels = ["x", "y", "z", "x", "y", "z"]
    assert isinstance(train(vectors, labels), NeighbourModel)
    names, proba = out_of_fold(vectors, labels)
    assert names == ["x", "y", "z"] and proba.shape == (6, 3)
    assert proba[3].argmax() == 0  # row 3 is close to row 0 only, which is an "x": confirmed without seeing itself
    with pytest.raises(ValueError, match="nothing to train on"):
        train(vectors[:0], [])


def test_an_assistant_classifies_request_types_with_the_chosen_version(written, manager):
    bot = assistant_create(name="Bot", company="Acme", provider="extractive")
    question = "Where is my parcel? The courier never came."
    assert prepare(assistant=bot, question=question).classification.method != "dataset"
    bot.classifier_version = version_of(written)
    bot.save(update_fields=["classifier_version"])
    chosen = prepare(assistant=bot, question=question).classification
    assert chosen.method == "dataset" and chosen.label == "shipping"
