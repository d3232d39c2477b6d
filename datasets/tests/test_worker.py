"""End to end on the real Celery worker: an upload through the API becomes a version and a classifier."""

from __future__ import annotations

import time

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tenants.utils import tenant_context

from datasets.models import Row
from datasets.sample import messages
from datasets.tests.conftest import csv_bytes, rows_of
from helpdesk.tenants.models import Tenant

BASE = "/api/v1/datasets/"


def wait_for_run(client: Client, run_id: int, statuses: set[str], timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = client.get(f"{BASE}runs/{run_id}").json()
        if state["status"] in statuses | {"failed"}:
            return state
        time.sleep(0.5)
    raise AssertionError(f"run {run_id} did not reach {statuses} within {timeout} s: {state}")


def test_the_worker_takes_an_upload_to_a_version_and_a_classifier(acme_api, celery_worker):
    sample = messages(30, seed=5, labels=["billing", "password", "shipping"])
    created = acme_api.post(f"{BASE}upload", {"file": SimpleUploadedFile("chats.csv", csv_bytes(rows_of(sample))),
                                              "name": "Worker chats"})  # fmt: skip
    assert created.status_code == 201, created.content
    started = acme_api.post(f"{BASE}process", {"upload_id": created.json()["upload_id"], "tag": "v1.0.0"},
                            "application/json")  # fmt: skip
    run_id = started.json()["run_id"]
    state = wait_for_run(acme_api, run_id, {"done", "review"})
    assert state["status"] != "failed", state["error"]
    if state["status"] == "review":  # a disputed row waits: write without it, as a manager may
        with tenant_context(Tenant.objects.get(schema_name="acme")):
            assert Row.objects.filter(run_id=run_id, status="review").count() == state["to_review"] > 0
        assert acme_api.post(f"{BASE}runs/{run_id}/write", {"tag": "v1.0.0"}, "application/json").status_code == 202
        state = wait_for_run(acme_api, run_id, {"done"})
    assert state["status"] == "done" and state["version"] == "v1.0.0", state
    assert all(step["status"] in {"done", "skipped"} for step in state["steps"])
    classified = acme_api.post(f"{BASE}classify", {"texts": ["my parcel is stuck in transit"]}, "application/json")
    assert classified.status_code == 200 and classified.json()["labels"][0]["label"] == "shipping"
