"""The workflow keeps every decision, in English and Russian with the real models: a run asked to write
once nothing waits writes when the queue empties; a row rejected in one run stays rejected in later
runs of the dataset until a person restores it; a file without a text column is refused; the review
queue relabels waiting rows from the decisions and bulk-accepts by expected precision."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from datasets import pipeline, selectors, services
from datasets.models import Row, Run
from datasets.steps.base import Mapping
from datasets.steps.quality import Bounds, failed_rules
from datasets.tests.conftest import csv_bytes, process, rows_of, upload
from datasets.tests.test_calibration import corpus
from datasets.text import normalise


def test_the_version_is_written_when_the_last_waiting_row_is_decided(dataset, language, manager):
    sample = corpus(language, 90, seed=4)
    run = process(upload(dataset, csv_bytes(rows_of(sample, labeled_every=3))), create_version=True,
                  message="Typed message")  # fmt: skip
    Row.objects.filter(run=run, position__in=[1, 2]).update(status=Row.Status.REVIEW, review_reason="low_confidence")
    Run.objects.filter(pk=run.pk).update(status=Run.Status.REVIEW)
    for row in list(selectors.review_queue(run)):
        assert run.__class__.objects.get(pk=run.pk).status == Run.Status.REVIEW
        services.review_decide(row=row, action="change", label=row.suggested_label or "x", by=manager)
    run.refresh_from_db()
    assert run.status == Run.Status.WRITING and run.options["message"] == "Typed message"
    pipeline.run_write(run_id=run.pk, author_id=manager.pk)
    run.refresh_from_db()
    assert run.status == Run.Status.DONE and run.version is not None
    assert run.version.message == "Typed message"


def test_a_rejected_row_stays_rejected_in_later_runs_until_restored(dataset, language, manager):
    sample = corpus(language, 90, seed=6)
    data = csv_bytes(rows_of(sample, labeled_every=3))
    first = process(upload(dataset, data))
    target = Row.objects.get(run=first, position=1)
    Row.objects.filter(pk=target.pk).update(status=Row.Status.REVIEW, review_reason="low_confidence")
    services.review_decide(row=target, action="reject", by=manager)
    second = process(upload(dataset, data))
    again = Row.objects.get(run=second, text_hash=target.text_hash)
    assert again.status == Row.Status.REJECTED and again.method == "rejected_before"
    assert second.step_state("label")["counts"]["rejected_before"] == 1
    services.review_restore(row=again, by=manager)
    again.refresh_from_db()
    assert again.status == Row.Status.REVIEW and again.review_reason == Row.Reason.RESTORED
    third = process(upload(dataset, data))
    assert Row.objects.get(run=third, text_hash=target.text_hash).status != Row.Status.REJECTED


@pytest.mark.parametrize(
    ("header", "row"),
    [(("id", "date", "amount"), ("1", "2024-05-01", "12.50")),
     (("номер", "дата", "сумма"), ("7", "1 мая 2024", "990"))],
)  # fmt: skip
def test_a_file_without_a_text_column_is_refused_with_the_reason(dataset, header, row):
    data = (",".join(header) + "\n" + "\n".join(",".join(row) for _ in range(5)) + "\n").encode()
    with pytest.raises(services.UploadRejected, match="No column of this file holds text"):
        services.upload_create(dataset=dataset, uploaded=SimpleUploadedFile("numbers.csv", data))


@pytest.mark.parametrize(
    ("date", "note"),
    [("date", "note"), ("дата", "заметка")],
)
def test_a_date_column_is_never_taken_as_the_text(dataset, date, note):
    lines = [f"{date},{note}"] + [f"2024-05-0{i}T10:00:00+00:00,my parcel is late {i}" for i in range(1, 6)]
    created = services.upload_create(dataset=dataset, uploaded=SimpleUploadedFile("x.csv", "\n".join(lines).encode()))
    assert created.mapping["text"] == note
    with pytest.raises(ValidationError, match="not text"):
        services.run_create(upload=created, mapping=Mapping(text=date), options={})


@pytest.mark.parametrize(
    ("original", "variant", "rule"),
    [
        ("I want to pay in three parts", 'Reversed sentence: "I can split your payment into three installments.',
         "instruction_leftover"),
        ("How do I send back shoes?", 'Rewritten: 3. Original: "How do I send back shoes that do not fit?',
         "instruction_leftover"),
        ("Please remove the late fee", "The customer message is: Please remove the late payment fee",
         "instruction_leftover"),
        ("My headphones broke, I want to return them", '"I would like to return my broken headphones"',
         "instruction_leftover"),
        ("My headphones broke, I want to return them",
         "I'm sorry for your loss, but I'm unable to return the headphones.", "agent_voice"),
        ("Хочу вернуть наушники", "Перефразировано: Я хочу сдать наушники обратно", "instruction_leftover"),
        ("Хочу вернуть наушники", "«Хочу сдать наушники обратно в магазин»", "instruction_leftover"),
        ("Хочу вернуть наушники", "Мы приносим извинения, но вернуть наушники нельзя.", "agent_voice"),
    ],
)  # fmt: skip
def test_augmentation_drops_instruction_leftovers_and_agent_voice(original, variant, rule):
    failed = failed_rules(original, normalise(variant), 0.7, Bounds.from_settings(), duplicate=False)
    assert rule in failed


@pytest.mark.parametrize(
    ("original", "variant"),
    [("I cannot log in, the password is wrong", "Logging in fails, it says my password is incorrect, sorry"),
     ("Не могу войти, пишет неверный пароль", "Никак не войти в аккаунт: говорит, что пароль неправильный")],
)  # fmt: skip
def test_a_clean_customer_variant_is_kept(original, variant):
    failed = failed_rules(original, variant, 0.7, Bounds.from_settings(), duplicate=False)
    assert "instruction_leftover" not in failed and "agent_voice" not in failed


def test_review_decisions_teach_the_labeler_and_bulk_accept_keeps_the_expected_precision(
    dataset, language, manager, settings
):
    settings.DATASETS_TARGET_PRECISION = 0.95
    sample = corpus(language, 160, seed=8)
    gold = {normalise(m.text): m.label for m in sample}
    run = process(upload(dataset, csv_bytes(rows_of(sample, labeled_every=9))))
    waiting = list(selectors.review_queue(run))
    assert waiting, run.step_state("label")["counts"]
    ranks = [row.review_rank if row.review_rank is not None else -1 for row in waiting]
    assert ranks == sorted(ranks)
    for row in waiting[:20]:
        services.review_decide(row=row, action="change", label=gold[row.text], by=manager)
    learned = services.review_relabel(run=run)
    assert learned == Row.objects.filter(run=run, method="learned").count()
    assert selectors.labelled_for_you(run) == learned
    if learned:
        rows = Row.objects.filter(run=run, method="learned")
        assert sum(gold[r.text] == r.label for r in rows) / learned >= 0.7
    left = list(selectors.review_queue(run).exclude(suggested_label=""))
    accepted = services.review_bulk_accept(run=run, by=manager, min_precision=0.9)
    chosen = sorted((r.calibrated_confidence or 0.0 for r in left), reverse=True)[:accepted]
    assert not chosen or sum(chosen) / len(chosen) >= 0.9
