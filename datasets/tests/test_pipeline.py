"""The pipeline end to end in-process: import, label, augment, quality control, relabel, review, write."""

from __future__ import annotations

import numpy as np
from django.core.files.base import ContentFile

from datasets import selectors, services
from datasets.models import Row, Run, Version
from datasets.sample import messages
from datasets.tests.conftest import MAPPING, csv_bytes, process, rows_of, upload, version_of, write


def test_labeled_file_becomes_a_version_with_a_stratified_split(dataset, sample):
    rows = rows_of(sample)
    rows.append(
        {"message": "  " + sample[0].text.upper() + "  ", "intent": "billing", "channel": "web", "ticket": "dup"}
    )
    rows.append({"message": "   ", "intent": "bug", "channel": "web", "ticket": "empty"})
    run = process(upload(dataset, csv_bytes(rows)), create_version=True)
    assert run.status == Run.Status.DONE, run.error
    etl = run.step_state("etl")["counts"]
    assert etl["read"] == 62 and etl["imported"] == 60 and etl["duplicates"] == 1 and etl["empty"] == 1
    version = version_of(run)
    assert version.tag == "v1.0.0"
    assert version.train_count + version.eval_count == 60 - run.step_state("label")["counts"]["disputed"]
    # 10 % held out, stratified, less the eval rows that nearly repeat a train row (moved to train)
    held = sum(version.counts["eval"].values())
    total = version.train_count + version.eval_count
    assert held + version.report["near_duplicates_moved"] == max(4, round(0.1 * total)) and held >= 2
    near = version.rows.filter(split="eval").values_list("embedding", flat=True)
    train = np.array(list(version.rows.filter(split="train").values_list("embedding", flat=True)))
    assert all(float((train @ np.asarray(vector)).max()) <= 0.95 for vector in near)
    assert dataset.__class__.objects.get(pk=dataset.pk).current_version_id == version.pk
    for step in run.steps:
        assert step["status"] in {"done", "skipped"}, step
    assert run.step_state("label")["rows_per_second"] > 0


def test_with_too_few_labels_to_calibrate_on_unlabeled_rows_wait_for_review_with_a_suggestion(dataset, sample):
    run = process(upload(dataset, csv_bytes(rows_of(sample, labeled_every=3))))  # 20 labelled rows
    counts = run.step_state("label")["counts"]
    assert "calibration" not in counts
    assert counts["auto_labeled"] == 0 and counts["low_confidence"] == 40  # no label on an uncalibrated confidence
    gold = {m.text: m.label for m in sample}
    waiting = Row.objects.filter(run=run, original_label="", status=Row.Status.REVIEW)
    assert waiting.count() == 40
    assert sum(gold[row.text] == row.suggested_label for row in waiting) / 40 >= 0.9  # the suggestions help
    assert run.status == Run.Status.REVIEW


def test_rows_unlike_any_labeled_row_go_to_review_instead_of_a_confident_guess(dataset, sample):
    rows = [r for r in rows_of(sample) if r["intent"] != "bug"]  # no labeled example of a bug report
    bugs = [m.text for m in sample if m.label == "bug"]
    rows += [{"message": text, "intent": "", "channel": "web", "ticket": ""} for text in bugs]
    run = process(upload(dataset, csv_bytes(rows)))
    novel = Row.objects.filter(run=run, text__in=bugs)
    waiting = novel.filter(status=Row.Status.REVIEW, review_reason=Row.Reason.LOW_CONFIDENCE)
    assert waiting.count() >= len(bugs) * 0.6, [(r.text, r.suggested_label, r.hints) for r in novel]
    assert all(r.hints["nearest_similarity"] < 0.5 for r in waiting)
    assert run.step_state("label")["counts"]["novel"] >= waiting.count() * 0.5


def test_a_wrong_existing_label_is_flagged_not_overwritten(dataset, sample):
    wrong = {i: "shipping" for i in [i for i, m in enumerate(sample) if m.label == "password"][:2]}
    run = process(upload(dataset, csv_bytes(rows_of(sample, noisy=wrong))))
    flagged = Row.objects.filter(run=run, review_reason=Row.Reason.DISPUTED)
    texts = {sample[i].text for i in wrong}
    assert texts <= set(flagged.values_list("text", flat=True))
    for row in flagged.filter(text__in=texts):
        assert row.label == "shipping" and row.original_label == "shipping"  # kept until a reviewer decides
        assert row.suggested_label == "password" and (row.confidence or 0) >= 0.5


def test_augmentation_makes_checked_synthetic_rows_that_stay_out_of_eval(dataset, sample, settings):
    settings.DATASETS_AUGMENT_VARIANTS = 3
    run = process(upload(dataset, csv_bytes(rows_of(sample))), augment=True, create_version=True)
    assert run.status == Run.Status.DONE, run.error
    augment = run.step_state("augment")["counts"]
    quality = run.step_state("quality")["counts"]
    relabel = run.step_state("relabel")["counts"]
    assert augment["candidates"] == quality["checked"] >= 150
    assert quality["kept"] + quality["rejected"] == quality["checked"]
    assert sum(quality["reasons"].values()) == quality["rejected"]
    assert relabel["checked"] == quality["kept"]
    synthetic = Row.objects.filter(run=run, source=Row.Source.SYNTHETIC, status=Row.Status.READY)
    for row in synthetic.select_related("parent"):
        parent = row.parent
        assert parent is not None
        assert 0.3 < float(np.dot(parent.embedding, row.embedding)) < 0.95
        assert row.label == parent.label
    version = version_of(run)
    assert version.counts["synthetic"] == relabel["kept"] - version.report["synthetic_dropped_with_eval_original"]
    assert not version.rows.filter(split="eval", source="synthetic").exists()


def test_review_then_write_gives_the_next_version_without_the_rejected_rows(dataset, sample, manager):
    first = version_of(write(process(upload(dataset, csv_bytes(rows_of(sample))))))
    assert first.tag == "v1.0.0"
    fresh = messages(12, seed=99, labels=["billing", "password", "shipping", "bug"])
    run = process(upload(dataset, csv_bytes(rows_of(fresh, labeled_every=1000))))  # unlabeled: labeled from v1.0.0
    assert run.step_state("label")["counts"]["model"] == "classifier"
    Row.objects.filter(run=run, position__in=[0, 1, 2]).update(status=Row.Status.REVIEW, review_reason="low_confidence")
    pending = list(selectors.review_queue(run))
    assert len(pending) >= 3
    for row in pending[:-1]:
        services.review_decide(row=row, action="accept", by=manager)
    services.review_decide(row=pending[-1], action="reject", by=manager)
    assert selectors.review_progress(run).pending == 0
    second = version_of(write(run, by=manager, message="New chats"))
    assert second.tag == "v1.1.0" and second.parent_id == first.pk and second.author == manager
    assert second.message == "New chats"
    assert not second.rows.filter(text=pending[-1].text).exists()
    assert second.rows.filter(text=pending[0].text).exists()
    assert Version.objects.filter(dataset=dataset).count() == 2
    examples = list(selectors.version_examples(second, split="train"))
    assert len(examples) == second.train_count
    assert {e.label for e in examples} <= {"billing", "password", "shipping", "bug"}


def test_a_bad_file_fails_the_run_and_leaves_no_rows(dataset, sample):
    good = upload(dataset, csv_bytes(rows_of(sample)))
    good.file.save("chats.csv", ContentFile(b"\x00\x01binary"), save=True)  # the file changed on disk
    run = process(good, MAPPING)
    assert run.status == Run.Status.FAILED and "binary" in run.error
    assert not Row.objects.filter(run=run).exists()
    assert run.step_state("etl")["status"] == "failed"


def test_the_llm_is_asked_only_about_unsure_rows_and_paraphrases_within_its_budget(
    dataset, sample, settings, ollama_server
):
    settings.DATASETS_LLM_PROVIDER = "ollama"
    settings.OLLAMA_HOST = ollama_server.url
    settings.DATASETS_AUGMENT_LLM_ROWS = 2
    settings.DATASETS_AUGMENT_VARIANTS = 2
    settings.DATASETS_LLM_MAX_CALLS = 3
    run = process(upload(dataset, csv_bytes(rows_of(sample, labeled_every=3))), augment=True)
    assert run.status in {Run.Status.REVIEW, Run.Status.READY}, run.error
    label = run.step_state("label")["counts"]
    asked = [p.rsplit("Message: ", 1)[1] for p in ollama_server.prompts if p.startswith("Classify")]
    unlabeled = Row.objects.filter(run=run, source=Row.Source.ORIGINAL, original_label="")
    unsure = [r for r in unlabeled if (r.confidence or 0) < 0.5 or r.method == "llm"]
    assert len(asked) == label["llm_asked"] == min(3, len(unsure)) > 0  # only unsure rows, within the budget
    for row in unlabeled:
        if row.text in asked:
            assert row.hints["llm_label"] == ollama_server.label_for(row.text)
            if row.hints["llm_label"] == row.suggested_label:  # two opinions agree: confident enough to keep
                assert row.method == "llm" and row.confidence == 0.5 and row.status == Row.Status.READY
            else:
                assert row.status == Row.Status.REVIEW  # they disagree: a person decides
        elif len(asked) < 3:  # the budget was not the limit: no confident row was asked
            assert (row.confidence or 0) >= 0.5
    augment = run.step_state("augment")["counts"]
    assert augment["llm_rows"] == augment["llm_calls"] == 2 and augment["llm_variants"] == 4
    assert sum(p.startswith("Rewrite") for p in ollama_server.prompts) == 2
    assert augment["deterministic_variants"] == augment["candidates"] - 4 == 2 * augment["source_rows"] - 4
    llm_made = Row.objects.filter(run=run, generator="llm")
    assert llm_made.count() == 4 and all(r.text.startswith("Could you") for r in llm_made)
    assert run.step_state("quality")["counts"]["generators"]["llm"]["made"] == 4


def test_a_failing_llm_does_not_stop_the_pipeline(dataset, sample, settings):
    settings.DATASETS_LLM_PROVIDER = "ollama"
    settings.OLLAMA_HOST = "http://127.0.0.1:9"  # nothing listens there
    settings.LLM_TIMEOUT_SECONDS = 2
    settings.DATASETS_AUGMENT_LLM_ROWS = 1
    settings.DATASETS_LLM_MAX_CALLS = 2
    run = process(upload(dataset, csv_bytes(rows_of(sample, labeled_every=3))), augment=True)
    assert run.status in {Run.Status.REVIEW, Run.Status.READY}, run.error
    assert run.step_state("label")["counts"]["llm_errors"] == run.step_state("label")["counts"]["llm_asked"] > 0
    augment = run.step_state("augment")["counts"]
    assert augment["llm_errors"] == 1 and augment["llm_variants"] == 0  # deterministic variants instead
    assert augment["deterministic_variants"] == augment["candidates"] > 0
