"""The datasets "done when" flow in a real browser, on the real worker.

A manager uploads a CSV of chat logs, maps its columns, runs the pipeline, reviews the
low-confidence and disputed rows with the keyboard, gets v1.0.0 with a balanced split,
downloads it, and the classify API labels new texts with the classifier trained from it.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from conftest import ACME_HOST, PASSWORD, make_user
from datasets.sample import messages


@pytest.fixture
def db(committed):
    """Committed rows under the name `db`: the live server's thread and the worker must see them."""
    return


@pytest.fixture
def chat_logs(tmp_path: Path) -> Path:
    sample = messages(36, seed=11, labels=["billing", "password", "shipping"])
    rows = [{"message": m.text, "intent": m.label if i % 4 else "", "channel": m.domain} for i, m in enumerate(sample)]
    rows[1]["intent"] = "billing" if sample[1].label != "billing" else "shipping"  # a wrong label: disputed
    rows += [{"message": text, "intent": "", "channel": "chat"} for text in ("hello?", "Is anyone there", "ok thanks")]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["message", "intent", "channel"])
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / "chat_logs.csv"
    path.write_text(out.getvalue())
    return path


def test_manager_uploads_reviews_with_the_keyboard_and_gets_v1(db, live_app, page, celery_worker, chat_logs, tmp_path):
    from helpdesk.accounts.services import api_key_issue
    from helpdesk.tenants.models import Tenant

    acme = Tenant.objects.get(schema_name="acme")
    make_user(acme, "data-manager@acme.test", "manager")
    page.goto(live_app.url("acme", "/accounts/login/?next=/datasets/"))
    page.get_by_label("Email").fill("data-manager@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/datasets/")

    page.locator("#ds-upload input[type=file]").set_input_files(str(chat_logs))
    page.locator("#ds-upload input[name=name]").fill("Chat logs")
    page.get_by_role("button", name="Upload and map columns").click()
    page.wait_for_url("**/datasets/uploads/*/")
    assert page.locator("#preview tbody tr").count() == 10  # the first rows, before anything is imported
    page.locator("select[name=text]").select_option("message")
    page.locator("select[name=label]").select_option("intent")
    page.locator("select[name=domain]").select_option("channel")
    page.locator("input[name=balance_labels]").check()
    page.locator("input[name=use_llm]").uncheck()  # the 135M model's opinion is measured in the benchmark
    page.get_by_role("button", name="Run the pipeline").click()
    page.wait_for_url("**/datasets/runs/*/")
    page.get_by_text("Awaiting review").wait_for(timeout=180_000)  # polled in place, no reload
    assert page.locator("tr[data-step=label] .badge").inner_text() == "done"

    page.get_by_role("button", name="Open the review queue").click()
    page.wait_for_url("**/review/")
    progress = page.locator("#review-progress small")
    total = int(progress.inner_text().split(" of ")[1].split(" ")[0])
    assert total >= 3
    first_text = page.locator("#review-text").inner_text()
    page.keyboard.press("1")  # pick the first label
    page.wait_for_function("t => document.querySelector('#review-text')?.innerText !== t", arg=first_text)
    assert progress.inner_text().startswith("1 of")
    page.keyboard.press("u")  # undo: the same row is back
    page.wait_for_function("t => document.querySelector('#review-text')?.innerText === t", arg=first_text)
    assert progress.inner_text().startswith("0 of")
    for decided in range(1, total + 1):
        before = page.locator("#review-text").inner_text()
        key = "x" if decided == total else "Enter"
        if key == "Enter" and page.locator('#review-item [data-key="Enter"]').is_disabled():
            key = "2"
        page.keyboard.press(key)
        if decided < total:
            page.wait_for_function("t => document.querySelector('#review-text')?.innerText !== t", arg=before)
    page.get_by_text("Nothing left to review").wait_for()
    assert progress.inner_text().startswith(f"{total} of {total} reviewed")

    page.locator("#write-form input[name=tag]").fill("v1.0.0")
    page.locator("#write-form input[name=message]").fill("Reviewed chat logs")
    page.get_by_role("button", name="Write version").click()
    page.get_by_role("link", name="version v1.0.0").wait_for(timeout=120_000)
    page.get_by_role("link", name="version v1.0.0").click()
    page.wait_for_url("**/versions/v1.0.0/")
    assert page.locator("svg[role=img]").count() == 1 and page.get_by_text("current", exact=True).is_visible()
    page.locator("#classifier-metrics").wait_for()
    with page.expect_download() as download:
        page.get_by_role("link", name="train.jsonl").click()
    saved = tmp_path / "train.jsonl"
    download.value.save_as(saved)
    rows = [json.loads(line) for line in saved.read_text().splitlines()]
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["label"]] = counts.get(row["label"], 0) + 1
    assert set(counts) >= {"billing", "password", "shipping"}
    assert max(counts.values()) - min(counts.values()) <= 2  # balanced labels (eval takes one or two of each)

    with schema_context("acme"):
        raw = api_key_issue(name="classify").raw_key
    api = Client(HTTP_HOST=ACME_HOST, headers={"Authorization": f"Api-Key {raw}"})
    texts = ["The courier lost my package", "I need a copy of my invoice", "I forgot my password"]
    result = api.post("/api/v1/datasets/classify", {"texts": texts}, "application/json").json()
    assert result["version"] == "v1.0.0"
    assert [x["label"] for x in result["labels"]] == ["shipping", "billing", "password"]
