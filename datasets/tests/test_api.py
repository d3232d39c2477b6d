"""The API under /api/v1/datasets/: upload, process, status, write, classify, versions, diff, download, stats."""

from __future__ import annotations

import json

from django.core.files.uploadedfile import SimpleUploadedFile

from datasets import pipeline
from datasets.models import Dataset, Run, Upload
from datasets.tests.conftest import csv_bytes, rows_of

BASE = "/api/v1/datasets/"


def test_upload_process_status_write_and_classify(api, in_acme, small_sample, django_capture_on_commit_callbacks):
    data = csv_bytes(rows_of(small_sample))
    created = api.post(f"{BASE}upload", {"file": SimpleUploadedFile("chats.csv", data), "name": "Chats"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["columns"] == ["message", "intent", "channel", "ticket"] and body["mapping"]["text"] == "message"
    with django_capture_on_commit_callbacks() as callbacks:
        started = api.post(
            f"{BASE}process", {"upload_id": body["upload_id"], "create_version": False}, "application/json"
        )
    assert started.status_code == 202 and len(callbacks) == 1
    run_id = started.json()["run_id"]
    assert started.json()["status_url"] == f"/api/v1/datasets/runs/{run_id}"
    pipeline.run_process(run_id=run_id)
    status = api.get(f"{BASE}runs/{run_id}").json()
    assert status["status"] in {"review", "ready"}
    assert [s["name"] for s in status["steps"]] == ["etl", "label", "augment", "quality", "relabel", "review", "write"]
    assert status["steps"][0]["counts"]["imported"] == 24
    with django_capture_on_commit_callbacks():
        writing = api.post(f"{BASE}runs/{run_id}/write", {"tag": "v1.0.0", "message": "API"}, "application/json")
    assert writing.status_code == 202 and writing.json()["status"] == "writing"
    again = api.post(f"{BASE}runs/{run_id}/write", {}, "application/json")
    assert again.status_code == 409  # a write is already on its way
    pipeline.run_write(run_id=run_id)
    dataset_id = body["dataset_id"]
    versions = api.get(f"{BASE}{dataset_id}/versions").json()["results"]
    assert [v["tag"] for v in versions] == ["v1.0.0"] and versions[0]["current"] is True
    assert versions[0]["classifier"]["status"] == "ready" and "accuracy" in versions[0]["classifier"]["metrics"]
    texts = ["I was billed twice for the Pro plan", "my parcel never arrived", "the reset link is broken"]
    classified = api.post(f"{BASE}classify", {"texts": texts}, "application/json")
    assert classified.status_code == 200, classified.content
    result = classified.json()
    assert result["version"] == "v1.0.0" and result["dataset"] == dataset_id
    assert [x["label"] for x in result["labels"]] == ["billing", "shipping", "password"]
    assert all(0 < x["confidence"] <= 1 and x["label"] in x["scores"] for x in result["labels"])
    download = api.get(f"{BASE}{dataset_id}/download/train/v1.0.0")
    lines = b"".join(download.streaming_content).decode().splitlines()
    assert download.status_code == 200 and len(lines) == versions[0]["train_count"] and json.loads(lines[0])["label"]
    as_csv = api.get(f"{BASE}{dataset_id}/download/eval/v1.0.0?as=csv")
    assert b"".join(as_csv.streaming_content).decode().startswith("text,label,response,domain,source,id,meta")
    assert api.get(f"{BASE}{dataset_id}/download/test/v1.0.0").status_code == 404
    stats = api.get(f"{BASE}stats").json()
    assert stats["datasets"] == 1 and stats["versions"] == 1 and stats["classifiers_ready"] == 1


def test_api_validation_answers_clearly(api, in_acme, dataset):
    assert api.post(f"{BASE}classify", {"texts": []}, "application/json").status_code == 400
    assert api.post(f"{BASE}classify", {"texts": ["x"] * 101}, "application/json").status_code == 400
    none_yet = api.post(f"{BASE}classify", {"texts": ["hello"]}, "application/json")
    assert none_yet.status_code == 404 and "write a version first" in none_yet.json()["detail"]
    refused = api.post(f"{BASE}upload", {"file": SimpleUploadedFile("x.exe", b"MZ"), "dataset": dataset.pk})
    assert refused.status_code == 415 and ".csv" in refused.json()["accepted"]
    empty = api.post(f"{BASE}upload", {"file": SimpleUploadedFile("x.csv", b"a,b\n"), "name": "New one"})
    assert empty.status_code == 400 and "no rows" in empty.json()["detail"]
    assert not Dataset.objects.filter(name="New one").exists() and not Upload.objects.exists()
    assert api.post(f"{BASE}upload", {"file": SimpleUploadedFile("x.csv", b"a\n1\n")}).status_code == 400  # no dataset
    assert api.post(f"{BASE}process", {"upload_id": 999999}, "application/json").status_code == 404
    ok = api.post(f"{BASE}upload", {"file": SimpleUploadedFile("x.csv", b"text\nhi\n"), "dataset": dataset.pk}).json()
    bad_map = api.post(
        f"{BASE}process", {"upload_id": ok["upload_id"], "mapping": {"text": "nope"}}, "application/json"
    )
    assert bad_map.status_code == 400 and "no column 'nope'" in bad_map.json()["detail"]
    bad_tag = api.post(f"{BASE}process", {"upload_id": ok["upload_id"], "tag": "../x"}, "application/json")
    assert bad_tag.status_code == 400 and "is not a tag" in bad_tag.json()["detail"]
    assert not Run.objects.exists()


def test_versions_show_checkout_and_diff(api, written, manager):
    dataset = written.dataset
    shown = api.get(f"{BASE}{dataset.pk}/versions/v1.0.0").json()
    assert shown["tag"] == "v1.0.0" and shown["train_count"] + shown["eval_count"] >= 20
    assert len(shown["content_hash"]) == 64 and shown["counts"]["eval"]
    assert api.get(f"{BASE}{dataset.pk}/versions/v9.9.9").status_code == 404
    checkout = api.post(f"{BASE}{dataset.pk}/versions/v1.0.0/checkout")
    assert checkout.status_code == 200 and checkout.json()["current"] is True
    diff = api.get(f"{BASE}{dataset.pk}/diff?base=v1.0.0&other=v1.0.0").json()
    assert (
        diff["added"] == 0 and diff["removed"] == 0 and diff["unchanged"] == shown["train_count"] + shown["eval_count"]
    )


def test_a_signed_in_agent_may_read_but_not_process(agent_client, written):
    assert agent_client.get(f"{BASE}{written.dataset.pk}/versions").status_code == 200
    assert agent_client.post(f"{BASE}process", {"upload_id": 1}, "application/json").status_code == 403
