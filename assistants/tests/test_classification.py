import csv
from pathlib import Path

import numpy as np
import pytest

from assistants.defaults import DEFAULT_REQUEST_TYPES
from assistants.engine.classification import UNSURE_BELOW, classify
from helpdesk import ai

EXAMPLES = {name: examples for name, (_, examples) in DEFAULT_REQUEST_TYPES.items()}
LABELLED = list(csv.DictReader((Path(__file__).parent / "fixtures" / "labelled_requests.csv").open()))


@pytest.fixture(scope="session")
def embed():
    return ai.embed


def test_accuracy_on_a_labelled_fixture(embed):
    predictions = [classify(row["text"], EXAMPLES, embed=embed).label for row in LABELLED]
    correct = sum(p == row["label"] for p, row in zip(predictions, LABELLED, strict=True))
    accuracy = correct / len(LABELLED)
    assert accuracy >= 0.8, list(zip(predictions, [r["label"] for r in LABELLED], strict=True))


def test_clear_cases_are_confident(embed):
    result = classify("I want to reset my password", EXAMPLES, embed=embed)
    assert result.label == "support" and result.method == "examples"
    assert result.confidence > 0.5
    assert set(result.scores) == {"support", "sales", "complaint"}


def test_the_llm_decides_only_when_unsure():
    calls = []

    def flat_embed(texts):
        return np.ones((len(texts), 4))  # every label equally near: maximally unsure

    def ask(text, labels):
        calls.append(labels)
        return "sales"

    result = classify("hmm", EXAMPLES, embed=flat_embed, ask_llm=ask)
    assert (result.label, result.method) == ("sales", "llm")
    assert result.confidence >= UNSURE_BELOW
    assert calls == [["complaint", "sales", "support"]]


def test_an_llm_answer_outside_the_labels_is_ignored():
    result = classify("hmm", EXAMPLES, embed=lambda t: np.ones((len(t), 4)), ask_llm=lambda t, labels: "weather")
    assert result.method == "examples"


def test_no_examples_falls_back_to_the_default_label():
    assert classify("anything", {}, default="support").method == "default"
