"""Training data: questions from the knowledge base, uploaded pairs, deduplication, the held-out split."""

from __future__ import annotations

import types

import pytest

from assistants.lora import dataset
from assistants.lora.sources import Pair
from assistants.lora.sources.knowledge import chunk_pairs, heading_question, sentence_question
from assistants.lora.sources.upload import UploadError, parse_upload
from assistants.lora.training import Hyperparameters


def test_questions_come_from_headings_and_instructions():
    assert heading_question("Reset your password") == "How do I reset my password?"
    assert heading_question("The email does not arrive") == "What can I do if the email does not arrive?"
    assert heading_question("Refund policy") == "Refund policy?"
    assert sentence_question("To add a VAT number, edit the billing details.") == "How do I add a VAT number?"
    assert sentence_question("If you lost your phone, use a backup code.") == "What should I do if I lost my phone?"
    assert sentence_question("Refunds reach your card in 5 days.") == ""


def test_knowledge_answers_quote_the_chunk_and_cite_it():
    chunk = types.SimpleNamespace(
        pk=7,
        position=0,
        heading="Reset your password",
        text="Open Settings and click Reset password. The link works for 60 minutes.",
    )
    pairs = list(chunk_pairs(chunk, "Account help"))  # type: ignore[arg-type]
    assert pairs[0].question == "How do I reset my password?"
    assert pairs[0].answer == "Open Settings and click Reset password. [1] The link works for 60 minutes. [1]"
    assert pairs[0].context == (("Account help", chunk.text),)
    assert {p.group for p in pairs} == {"chunk:7"}


def test_upload_keeps_good_rows_and_names_the_bad_ones():
    data = (
        b'{"question": "Q1?", "answer": "A1."}\nnot json\n{"question": "Q2?"}\n{"prompt": "Q3?", "completion": "A3."}\n'
    )
    parsed = parse_upload("pairs.jsonl", data)
    assert [p.question for p in parsed.pairs] == ["Q1?", "Q3?"]
    assert [n for n, _ in parsed.rejected] == [2, 3]
    assert "not valid JSON" in parsed.rejected[0][1] and "no answer" in parsed.rejected[1][1]
    csv = parse_upload("pairs.csv", b"question,answer\nWhere?,Here.\n,Nothing\n")
    assert len(csv.pairs) == 1 and csv.rejected[0][0] == 3


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("pairs.txt", b"x", "use a .jsonl or .csv"),
        ("pairs.jsonl", b"\xff\xfe\x00", "not UTF-8"),
        ("pairs.csv", b"a,b\n1,2\n", "name the columns"),
        ("pairs.jsonl", b'{"question": "only"}\n', "no usable"),
    ],
)
def test_unusable_uploads_say_why(name, data, message):
    with pytest.raises(UploadError, match=message):
        parse_upload(name, data)


def pair(question: str, answer: str, group: str) -> Pair:
    return Pair(question=question, answer=answer, source="upload", group=group)


def test_duplicates_go_and_a_question_never_sits_on_both_sides_of_the_split():
    pairs = [pair(f"Question {i}?", f"Answer {i}.", f"g{i}") for i in range(40)]
    pairs += [pair("question 3 ?", "ANSWER 3.", "other"), pair("Question 5?", "A different answer.", "g99")]
    kept, duplicates = dataset.deduplicate(pairs)
    assert duplicates == 1 and len(kept) == 41
    splits = dataset.split(kept)
    assert {p.group for p in kept if "5" in p.question and p.question.startswith("Question 5")} == {"g5"}
    held = [g for g, s in splits.items() if s == "heldout"]
    assert 1 <= len(held) < len(splits)
    assert dataset.split(kept) == splits  # the same data always splits the same way


def test_too_little_data_is_a_clear_error():
    assistant = types.SimpleNamespace(policy="P", tone="friendly", language="en", tag_filters=[], min_similarity=0.3)
    with pytest.raises(dataset.NoData, match="at least 4"):
        dataset.build(assistant, [], extra=[pair("Q?", "A.", "g")], retrieve=False)  # type: ignore[arg-type]


def test_hyperparameters_are_validated_with_every_reason():
    assert Hyperparameters.from_dict({"epochs": "2", "target_modules": "v_proj,q_proj"}).target_modules == (
        "q_proj",
        "v_proj",
    )
    with pytest.raises(ValueError, match="epochs: must be between") as error:
        Hyperparameters.from_dict({"epochs": 0, "rank": 2.5, "colour": "red", "target_modules": ["lm_head"]})
    assert "rank: must be a whole number" in str(error.value)
    assert "unknown hyper-parameter 'colour'" in str(error.value)
    assert "target_modules: choose from" in str(error.value)
