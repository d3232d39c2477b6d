"""The pages: list, upload and mapping, the run page's polling, the review queue, versions, diff, downloads."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.utils.translation import override
from django_tenants.utils import tenant_context

from assistants.models import TicketAnswer
from datasets import pipeline, selectors, services
from datasets.models import Dataset, ReviewDecision, Row, Run, Upload
from datasets.sample import messages
from datasets.tests.conftest import csv_bytes, process, rows_of, upload, version_of, write
from testing.i18n import reading_russian
from tickets.models import Reply, ReplyKind
from tickets.services import contact_ensure, reply_add, ticket_create

HX = {"HX-Request": "true"}


def test_empty_list_and_navigation(manager_client, in_acme):
    html = manager_client.get("/datasets/").content.decode()
    assert 'href="/datasets/"' in html and "No datasets yet" in html and "Upload and map columns" in html


def test_agents_see_datasets_but_cannot_upload(agent_client, in_acme):
    html = agent_client.get("/datasets/").content.decode()
    assert "Upload and map columns" not in html
    response = agent_client.post("/datasets/upload/", {"name": "x", "file": SimpleUploadedFile("a.csv", b"text\nhi\n")})
    assert response.status_code == 403


def test_upload_map_and_start_a_run(manager_client, in_acme, small_sample, django_capture_on_commit_callbacks):
    data = csv_bytes(rows_of(small_sample))
    response = manager_client.post(
        "/datasets/upload/", {"name": "Chats", "file": SimpleUploadedFile("chats.csv", data)}
    )
    source = Upload.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/datasets/uploads/{source.pk}/"
    page = manager_client.get(response["Location"]).content.decode()
    assert small_sample[0].text in page and '<option value="message" selected>' in page
    form = {"text": "message", "label": "intent", "domain": "channel", "id": "ticket", "response": "",
            "meta": [], "create_version": "on", "use_llm": "on", "tag": "v1.0.0", "message": "First"}  # fmt: skip
    with django_capture_on_commit_callbacks() as callbacks:
        started = manager_client.post(response["Location"], form)
    run = Run.objects.get()
    assert started["Location"] == f"/datasets/runs/{run.pk}/" and len(callbacks) == 1  # the task is queued
    assert run.options["tag"] == "v1.0.0" and run.mapping["label"] == "intent"
    steps = manager_client.get(f"/datasets/runs/{run.pk}/", headers=HX).content.decode()
    assert 'hx-trigger="every 2s"' in steps and "<html" not in steps  # polls while queued
    pipeline.run_process(run_id=run.pk)
    steps = manager_client.get(f"/datasets/runs/{run.pk}/", headers=HX).content.decode()
    run.refresh_from_db()
    assert "every 2s" not in steps and "rows/s" in steps and run.get_status_display() in steps
    assert run.status in {Run.Status.DONE, Run.Status.REVIEW}  # written, or one disputed row waits


def test_bad_upload_shows_the_reason_and_keeps_nothing(manager_client, in_acme):
    response = manager_client.post(
        "/datasets/upload/", {"name": "Chats", "file": SimpleUploadedFile("x.csv", b"a,b\n")}, follow=True
    )
    assert "no rows" in response.content.decode()
    assert not Upload.objects.exists() and not Dataset.objects.exists()  # not even the new dataset


def test_mapping_errors_come_back_on_the_form(manager_client, dataset, small_sample):
    source = upload(dataset, csv_bytes(rows_of(small_sample)))
    response = manager_client.post(
        f"/datasets/uploads/{source.pk}/", {"text": "message", "label": "message", "tag": "bad tag!"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "more than one role" in html and not Run.objects.exists()


def _reviewable(dataset, manager):
    """A version, then a run of new unlabeled chats labeled from it: some wait for review."""
    write(
        process(upload(dataset, csv_bytes(rows_of(messages(24, seed=3, labels=["billing", "password", "shipping"])))))
    )
    fresh = messages(10, seed=41, labels=["billing", "password", "shipping"])
    run = process(upload(dataset, csv_bytes(rows_of(fresh, labeled_every=1000))), labels=["refund"])
    Row.objects.filter(run=run).update(status=Row.Status.READY, review_reason="", label=F("suggested_label"))
    Row.objects.filter(run=run, position__lt=4).update(
        status=Row.Status.REVIEW, review_reason="low_confidence", confidence=0.3, label=""
    )
    Run.objects.filter(pk=run.pk).update(status=Run.Status.REVIEW)
    return run


def test_review_queue_with_keys_undo_and_progress(manager_client, dataset, manager):
    run = _reviewable(dataset, manager)
    page = manager_client.get(f"/datasets/runs/{run.pk}/review/").content.decode()
    assert 'data-key="Enter"' in page and 'data-key="1"' in page and "0</strong> of 4 reviewed" in page
    first = selectors.review_queue(run).first()
    assert first is not None
    labels = selectors.review_labels(run)
    assert labels == ["billing", "password", "refund", "shipping"]
    item = manager_client.post(
        f"/datasets/runs/{run.pk}/review/{first.pk}/", {"action": "change", "label": "refund"}, headers=HX
    )
    html = item.content.decode()
    assert item.status_code == 200 and "1</strong> of 4 reviewed" in html and "<html" not in html
    decided = Row.objects.get(pk=first.pk)
    assert decided.label == "refund" and decided.status == Row.Status.READY and decided.reviewed
    decision = ReviewDecision.objects.get(row=first)
    assert decision.reviewer == manager and decision.decided_at is not None and decision.action == "change"
    second = selectors.review_queue(run).first()
    assert second is not None
    manager_client.post(f"/datasets/runs/{run.pk}/review/{second.pk}/", {"action": "reject"}, headers=HX)
    assert Row.objects.get(pk=second.pk).status == Row.Status.REJECTED
    undone = manager_client.post(f"/datasets/runs/{run.pk}/review/undo/", headers=HX).content.decode()
    assert Row.objects.get(pk=second.pk).status == Row.Status.REVIEW and "1</strong> of 4 reviewed" in undone
    assert ReviewDecision.objects.get(row=second).undone_at is not None  # the history stays
    again = manager_client.post(f"/datasets/runs/{run.pk}/review/{first.pk}/", {"action": "accept"}, headers=HX)
    assert again.status_code == 400 and "decided on this row already" in again.content.decode()


def test_bulk_accept_and_filters(manager_client, dataset, manager):
    run = _reviewable(dataset, manager)
    Row.objects.filter(run=run, status=Row.Status.REVIEW).update(calibrated_confidence=0.1)
    Row.objects.filter(run=run, status=Row.Status.REVIEW, position=0).update(
        confidence=0.45, calibrated_confidence=0.96, suggested_label="billing"
    )
    filtered = manager_client.get(f"/datasets/runs/{run.pk}/review/?filter_label=billing", headers=HX).content.decode()
    assert "match" in filtered
    # by expected precision: the trusted suggestion alone keeps the accepted labels at 0.9
    manager_client.post(f"/datasets/runs/{run.pk}/review/bulk/", {"min_precision": "0.9"})
    assert Row.objects.get(run=run, position=0).status == Row.Status.READY
    assert Row.objects.filter(run=run, status=Row.Status.REVIEW).count() == 3
    for row in selectors.review_queue(run):
        services.review_decide(row=row, action="reject", by=manager)
    run.refresh_from_db()
    assert run.status == Run.Status.READY  # the queue is empty: ready to write
    done = manager_client.get(f"/datasets/runs/{run.pk}/review/").content.decode()
    assert "Nothing left to review" in done and "Write version" in done


@pytest.mark.parametrize("language", ["en", "ru"])
def test_bulk_accept_in_a_run_without_calibration_says_why_nothing_was_accepted(
    manager_client, dataset, manager, language
):
    run = _reviewable(dataset, manager)
    Row.objects.filter(run=run, status=Row.Status.REVIEW).update(
        confidence=0.99, calibrated_confidence=None, suggested_label="billing"
    )
    with reading_russian(manager) if language == "ru" else override("en"):
        page = manager_client.post(
            f"/datasets/runs/{run.pk}/review/bulk/", {"min_precision": "0.5"}, follow=True
        ).content.decode()
    assert Row.objects.filter(run=run, status=Row.Status.REVIEW).count() == 4  # a raw confidence is no precision
    expected = {"en": "too few labelled rows to measure how often", "ru": "слишком мало размеченных строк"}[language]
    assert expected in page


def test_version_pages_downloads_checkout_rollback_and_diff(manager_client, written, small_sample, manager):
    dataset = written.dataset
    v1 = version_of(written)
    html = manager_client.get(f"/datasets/{dataset.pk}/versions/v1.0.0/").content.decode()
    assert "<svg" in html and "billing" in html and "current" in html and "Macro-F1" in html
    download = manager_client.get(f"/datasets/{dataset.pk}/versions/v1.0.0/download/train.jsonl")
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    lines = [json.loads(line) for line in b"".join(download.streaming_content).decode().splitlines()]
    assert len(lines) == v1.train_count and {"text", "label", "domain", "response", "meta"} <= set(lines[0])
    parquet = manager_client.get(f"/datasets/{dataset.pk}/versions/v1.0.0/download/eval.parquet")
    assert parquet.status_code == 200 and b"".join(parquet.streaming_content)[:4] == b"PAR1"
    assert manager_client.get(f"/datasets/{dataset.pk}/versions/v1.0.0/download/train.exe").status_code == 404
    relabel = rows_of(small_sample)
    relabel[0]["intent"] = "refund"
    run = process(upload(dataset, csv_bytes(relabel)))
    disputed = Row.objects.get(run=run, text=small_sample[0].text)
    assert disputed.review_reason == "disputed" and disputed.label == "refund"  # one row cannot outvote the rest
    services.review_decide(row=disputed, action="change", label="refund", by=manager)  # the reviewer insists
    second = write(run, message="More")
    assert version_of(second).tag == "v1.1.0"
    diff = manager_client.get(f"/datasets/{dataset.pk}/diff/?base=v1.0.0&other=v1.1.0").content.decode()
    assert "v1.0.0 → v1.1.0" in diff and "<strong>1</strong> relabelled" in diff and "refund" in diff
    listing = manager_client.get(f"/datasets/{dataset.pk}/").content.decode()
    assert "Roll back" in listing and "v1.1.0" in listing
    manager_client.post(f"/datasets/{dataset.pk}/rollback/")
    assert Dataset.objects.get(pk=dataset.pk).current_version_id == v1.pk
    manager_client.post(f"/datasets/{dataset.pk}/versions/v1.1.0/checkout/")
    current = Dataset.objects.get(pk=dataset.pk).current_version
    assert current is not None and current.tag == "v1.1.0"


def test_agents_cannot_check_out(agent_client, written):
    response = agent_client.post(f"/datasets/{written.dataset.pk}/versions/v1.0.0/checkout/")
    assert response.status_code == 403


def test_export_tickets_into_a_dataset(manager_client, acme, agent):
    with tenant_context(acme):
        contact = contact_ensure(email="pat@customer.test", name="Pat")
        ticket_create(subject="Refund please", description="My order arrived broken.", requester=contact, by=contact)
        ticket = ticket_create(subject="Login", description="Cannot sign in.", requester=contact, by=contact)
        ticket.category = "password"
        ticket.save()
    response = manager_client.post("/datasets/export/", {"kind": "tickets"})
    with tenant_context(acme):
        created = Upload.objects.select_related("dataset").get()
    assert response["Location"] == f"/datasets/uploads/{created.pk}/"
    assert created.source == "tickets" and created.dataset.name == "Helpdesk tickets"
    assert created.mapping["label"] == "category" and created.preview[1]["category"] == "password"
    assert created.preview[0]["text"].startswith("Refund please")


def test_export_draft_pairs_into_a_dataset(manager_client, acme, agent):
    """An AI draft followed by an agent's reply becomes one row: question → the reply sent, with the draft."""
    with tenant_context(acme):
        contact = contact_ensure(email="pat@customer.test", name="Pat")
        ticket = ticket_create(subject="Refund", description="When do I get my money?", requester=contact, by=contact)
        draft = Reply.objects.create(ticket=ticket, kind=ReplyKind.AI_DRAFT, body="Hello Pat, refunds take 5 days.")
        answer = TicketAnswer.objects.create(ticket=ticket, draft=draft, result={"request_type": "billing"})
        reply_add(ticket=ticket, body="Hello Pat, refunds take 5 working days.", by=agent)
    response = manager_client.post("/datasets/export/", {"kind": "draft_pairs"})
    with tenant_context(acme):
        created = Upload.objects.select_related("dataset").get()
        with created.file.open("rb") as handle:
            rows = [json.loads(line) for line in handle.read().decode().splitlines()]
    assert response["Location"] == f"/datasets/uploads/{created.pk}/"
    assert created.source == "draft_pairs" and created.dataset.name == "Agent replies"
    assert created.mapping == {
        "text": "question",
        "response": "final_reply",
        "label": "request_type",
        "domain": "channel",
        "id": "id",
        "meta": ["draft", "draft_similarity", "ticket"],
    }
    assert rows == [
        {
            "id": f"{ticket.number}-{answer.pk}",
            "question": "Refund\n\nWhen do I get my money?",
            "final_reply": "Hello Pat, refunds take 5 working days.",
            "request_type": "billing",
            "channel": "web",
            "draft": "Hello Pat, refunds take 5 days.",
            "draft_similarity": 89,
            "ticket": ticket.number,
        }
    ]


def test_run_restart_after_a_failure(manager_client, dataset, small_sample, django_capture_on_commit_callbacks):
    source = upload(dataset, csv_bytes(rows_of(small_sample)))
    failed = Run.objects.create(dataset=dataset, upload=source, mapping={"text": "message"}, status=Run.Status.FAILED,
                                error="boom", steps=pipeline.initial_steps(services.RunOptions()))  # fmt: skip
    assert "Run again" in manager_client.get(f"/datasets/runs/{failed.pk}/").content.decode()
    with django_capture_on_commit_callbacks():
        response = manager_client.post(f"/datasets/runs/{failed.pk}/restart/")
    fresh = Run.objects.exclude(pk=failed.pk).get()
    assert response["Location"] == f"/datasets/runs/{fresh.pk}/" and fresh.status == Run.Status.QUEUED
