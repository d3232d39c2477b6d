"""Uploads that could stall a web worker: crafted CSVs, zip bombs, huge JSON, too many rows.

Only the start of a file is read in the request (the preview); the run's import reads the rest on
the worker, within DATASETS_MAX_ROWS.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from itertools import islice
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from conftest import ACME_HOST, worker_database_url
from datasets import formats, pipeline, services
from datasets.models import Row, Run, Upload
from datasets.steps.base import Mapping
from datasets.tests.conftest import csv_bytes, jsonl_bytes, process, upload, xlsx_bytes
from datasets.tests.test_worker import wait_for_run
from helpdesk.accounts.services import api_key_issue
from helpdesk.tenants.models import Tenant

BASE = "/api/v1/datasets/"

# A few rows, then what ``csv.Sniffer`` needs minutes of one core for (holding the GIL) in a 64 KB sample.
CRAFTED_CSV = b"message;intent\n" + b"hello;greeting\n" * 3 + b'\n"' * 32760

# The upload, made in a separate process so that a request that hangs can be stopped (a thread cannot
# interrupt a regular expression that holds the GIL, nor can the test's own thread run meanwhile).
UPLOAD_SCRIPT = """
import json, os, sys
import django
django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
client = Client(HTTP_HOST=sys.argv[1], headers={"Authorization": "Api-Key " + os.environ["UPLOAD_API_KEY"]})
with open(sys.argv[2], "rb") as source:
    data = source.read()
answer = client.post("/api/v1/datasets/upload", {"file": SimpleUploadedFile("crafted.csv", data), "name": "Crafted"})
print(json.dumps({"status": answer.status_code, "body": answer.json()}))
"""


def test_a_crafted_csv_that_stalls_the_sniffer_is_read_at_once(committed, tmp_path):
    with tenant_context(Tenant.objects.get(schema_name="acme")):
        raw = api_key_issue(name="crafted-upload").raw_key
    path = tmp_path / "crafted.csv"
    path.write_bytes(CRAFTED_CSV)
    env = {**os.environ, "DATABASE_URL": worker_database_url(), "DJANGO_SETTINGS_MODULE": "helpdesk.settings_test",
           "UPLOAD_API_KEY": raw}  # fmt: skip
    try:
        done = subprocess.run(
            [sys.executable, "-c", UPLOAD_SCRIPT, ACME_HOST, str(path)],
            env=env, cwd=settings.BASE_DIR, capture_output=True, timeout=60,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail("the upload of the crafted CSV did not answer within 60 s")
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    answer = json.loads(done.stdout.decode().strip().splitlines()[-1])
    assert answer["status"] == 201, answer
    assert answer["body"]["delimiter"] == "semicolon"
    assert answer["body"]["columns"] == ["message", "intent"]
    assert answer["body"]["preview"][0] == {"message": "hello", "intent": "greeting"}


def test_the_delimiter_is_guessed_from_the_first_rows_or_picked(api, in_acme):
    rows = [{"message": f"Hello, it is me, again {i}", "intent": "greeting"} for i in range(5)]
    semicolons = csv_bytes(rows, delimiter=";")
    guessed = api.post(f"{BASE}upload", {"file": SimpleUploadedFile("a.csv", semicolons), "name": "Chats"})
    assert guessed.status_code == 201 and guessed.json()["delimiter"] == "semicolon"
    assert guessed.json()["preview"][0] == {"message": "Hello, it is me, again 0", "intent": "greeting"}
    # Split on commas as asked: the header is one column there, so every row spills into extra ones.
    picked = api.post(f"{BASE}upload", {"file": SimpleUploadedFile("b.csv", semicolons), "name": "Chats",
                                        "delimiter": "comma"})  # fmt: skip
    assert picked.status_code == 201 and picked.json()["delimiter"] == "comma"
    assert picked.json()["columns"] == ["message;intent"]
    wrong = api.post(f"{BASE}upload", {"file": SimpleUploadedFile("c.csv", semicolons), "name": "Chats",
                                       "delimiter": "colon"})  # fmt: skip
    assert wrong.status_code == 400 and "delimiter" in wrong.json()


SHARED_STRINGS = ("http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings",
                  "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml")  # fmt: skip


def _xlsx_bomb(megabytes: int) -> bytes:
    """A valid workbook whose shared strings unpack to ``megabytes`` of repeated text (a few KB packed).

    openpyxl writes inline strings, so its cells are turned into references to a shared-strings part.
    """
    plain = xlsx_bytes([{"message": "hello", "intent": "greeting"}])
    filler = "spam " * (megabytes * 1024 * 1024 // 5)
    strings = ["message", "intent", f"hello {filler}", "greeting"]
    shared = "".join(f"<si><t>{text}</t></si>" for text in strings)
    parts = {
        "xl/sharedStrings.xml": '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'count="4" uniqueCount="4">{shared}</sst>'
    }
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for item in source.infolist():
            text = source.read(item.filename).decode()
            if item.filename == "xl/worksheets/sheet1.xml":
                for index, value in enumerate(("message", "intent", "hello", "greeting")):
                    text = text.replace(f'"inlineStr"><is><t>{value}</t></is>', f'"s"><v>{index}</v>')
            elif item.filename == "xl/_rels/workbook.xml.rels":
                link = f'<Relationship Type="{SHARED_STRINGS[0]}" Target="sharedStrings.xml" Id="rId9"/>'
                text = text.replace("</Relationships>", link + "</Relationships>")
            elif item.filename == "[Content_Types].xml":
                kind = f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SHARED_STRINGS[1]}"/>'
                text = text.replace("</Types>", kind + "</Types>")
            parts[item.filename] = text
        for name, text in parts.items():
            bomb.writestr(name, text)
    return out.getvalue()


def test_an_xlsx_zip_bomb_is_refused_before_openpyxl_opens_it(api, in_acme, monkeypatch):
    bomb = _xlsx_bomb(30)
    assert len(bomb) < 200 * 1024

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("openpyxl was asked to open the zip bomb")

    monkeypatch.setattr("openpyxl.load_workbook", refuse)
    answer = api.post(f"{BASE}upload", {"file": SimpleUploadedFile("bomb.xlsx", bomb), "name": "Bombs"})
    assert answer.status_code == 413, answer.content
    detail = answer.json()["detail"]
    assert "xl/sharedStrings.xml" in detail and "30.0 MB" in detail, detail
    assert not Upload.objects.exists()


class Tripwire(io.BytesIO):
    """A file that fails the test as soon as more than ``limit`` bytes of it have been read."""

    def __init__(self, data: bytes, limit: int) -> None:
        super().__init__(data)
        self.limit = limit

    def _check(self) -> None:
        if self.tell() > self.limit:
            raise AssertionError(f"read {self.tell():,} bytes, more than {self.limit:,}")

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self._check()
        return data

    def readline(self, size: int | None = -1) -> bytes:
        data = super().readline(size)
        self._check()
        return data


@pytest.mark.parametrize("kind", ["jsonl", "json"])
def test_a_preview_of_a_large_json_file_reads_only_its_start(kind):
    records = [{"text": f"Где мой заказ номер {i}?", "label": "shipping", "n": i} for i in range(200_000)]
    data = jsonl_bytes(records) if kind == "jsonl" else json.dumps({"rows": records}, ensure_ascii=False).encode()
    assert len(data) > 8 * 1024 * 1024
    table = formats.read_stream(Tripwire(data, limit=1024 * 1024), kind)
    preview = list(islice(table.rows, formats.PREVIEW_ROWS))
    assert table.columns == ["text", "label", "n"]
    assert [row["n"] for row in preview] == [str(i) for i in range(10)]
    assert preview[3]["text"] == "Где мой заказ номер 3?"


def test_a_jsonl_file_over_the_row_limit_is_refused_at_upload(dataset, settings):
    settings.DATASETS_MAX_ROWS = 20
    data = jsonl_bytes([{"text": f"message {i}", "label": "x"} for i in range(21)])
    with pytest.raises(services.UploadRejected) as caught:
        upload(dataset, data, "many.jsonl")
    assert caught.value.status == 413
    assert "more than 20 rows" in str(caught.value) and "DATASETS_MAX_ROWS" in str(caught.value)
    assert not Upload.objects.exists()
    assert upload(dataset, data[: data.rindex(b"{")], "enough.jsonl").columns == ["text", "label"]  # 20 rows


def test_a_csv_over_the_row_limit_fails_its_import_and_keeps_the_upload(dataset, settings):
    settings.DATASETS_MAX_ROWS = 20
    data = csv_bytes([{"message": f"message number {i}", "intent": "x"} for i in range(25)])
    created = upload(dataset, data)  # the preview reads 10 rows; counting the rest is the import's work
    run = process(created, Mapping(text="message"))
    assert run.status == Run.Status.FAILED
    assert "more than 20 rows" in run.error and "DATASETS_MAX_ROWS" in run.error, run.error
    assert run.step_state("etl")["status"] == "failed"
    assert not Row.objects.filter(run=run).exists()
    settings.DATASETS_MAX_ROWS = 25  # raised: the same upload imports in full
    again = services.run_restart(run=run)
    pipeline.run_process(run_id=again.pk)
    again.refresh_from_db()
    assert again.step_state("etl")["counts"]["imported"] == 25, again.error


def test_a_bad_line_past_the_preview_fails_the_import_not_the_upload(dataset):
    lines = jsonl_bytes([{"text": f"message {i}", "label": "x"} for i in range(300)]) + b"{oops\n"
    created = upload(dataset, lines, "late.jsonl")
    assert len(created.preview) == 10
    run = process(created, Mapping(text="text"))
    assert run.status == Run.Status.FAILED and "line 301" in run.error, run.error
    assert Upload.objects.filter(pk=created.pk).exists()


def test_the_worker_reads_the_whole_file_and_says_what_is_wrong_with_a_bad_one(acme_api, celery_worker):
    rows = [{"message": f"Order {i}; где заказ, номер {i}?", "intent": ("shipping", "billing")[i % 2]}
            for i in range(60)]  # fmt: skip
    created = acme_api.post(f"{BASE}upload", {"file": SimpleUploadedFile("orders.csv", csv_bytes(rows, "\t")),
                                              "name": "Orders", "delimiter": "tab"})  # fmt: skip
    assert created.status_code == 201, created.content
    assert created.json()["delimiter"] == "tab" and len(created.json()["preview"]) == 10
    options = {"create_version": False, "use_llm": False}
    started = acme_api.post(f"{BASE}process", {"upload_id": created.json()["upload_id"], **options}, "application/json")
    state = wait_for_run(acme_api, started.json()["run_id"], {"ready", "review"})
    assert state["status"] != "failed", state["error"]
    assert state["steps"][0]["counts"]["imported"] == 60
    with tenant_context(Tenant.objects.get(schema_name="acme")):
        texts = set(Row.objects.filter(run_id=state["run_id"]).values_list("text", flat=True))
    assert "Order 59; где заказ, номер 59?" in texts and len(texts) == 60

    # A bad line past the columns' lookahead (100 rows) passes the upload and fails the import, saying where.
    late = jsonl_bytes([{"text": f"message {i}"} for i in range(120)]) + b"not json\n"
    created = acme_api.post(f"{BASE}upload", {"file": SimpleUploadedFile("late.jsonl", late), "name": "Orders"})
    assert created.status_code == 201, created.content
    started = acme_api.post(f"{BASE}process", {"upload_id": created.json()["upload_id"], **options}, "application/json")
    state = wait_for_run(acme_api, started.json()["run_id"], {"ready", "review"})
    assert state["status"] == "failed" and "line 121" in state["error"], state
    assert acme_api.get(f"{BASE}runs/{state['run_id']}").json()["upload_id"] == created.json()["upload_id"]
