"""Uploads in every format, the suggested mapping, and bad files refused with a reason and nothing kept."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from datasets import services
from datasets.models import Row, Run, Upload
from datasets.steps.base import Mapping
from datasets.tests.conftest import csv_bytes, jsonl_bytes, parquet_bytes, process, rows_of, upload, xlsx_bytes

ROWS = [
    {"message": "I was charged twice this month", "intent": "billing", "channel": "web", "ticket": "1"},
    {"message": "Where is my parcel?", "intent": "shipping", "channel": "email", "ticket": "2"},
    {"message": "Reset link expired", "intent": "password", "channel": "chat", "ticket": "3"},
]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("chats.csv", csv_bytes(ROWS)),
        ("chats.tsv", csv_bytes(ROWS, delimiter="\t")),
        ("semicolons.csv", csv_bytes(ROWS, delimiter=";")),
        ("chats.jsonl", jsonl_bytes(ROWS)),
        ("chats.json", __import__("json").dumps({"data": ROWS}).encode()),
        ("chats.xlsx", xlsx_bytes(ROWS)),
        ("chats.parquet", parquet_bytes(ROWS)),
    ],
)
def test_every_format_is_read_with_a_preview_and_a_suggested_mapping(dataset, name, data):
    created = upload(dataset, data, name)
    assert created.columns == ["message", "intent", "channel", "ticket"]
    assert created.preview[1]["message"] == "Where is my parcel?"
    assert created.mapping["text"] == "message" and created.mapping["label"] == "intent"
    assert created.mapping["domain"] == "channel" and created.mapping["id"] == "ticket"
    assert created.file.name.startswith("datasets/uploads/")
    assert "/media/acme/datasets/uploads/" in default_storage.path(created.file.name)  # the tenant's own folder


def test_a_latin1_csv_and_an_excel_with_numbers_are_read(dataset):
    latin = "message,intent\nLa facture de février est fausse,billing\n".encode("latin-1")
    assert upload(dataset, latin, "fr.csv").preview[0]["message"] == "La facture de février est fausse"
    numbers = xlsx_bytes([{"text": "Order 15 is late", "score": 3.0, "when": 2024}])
    assert upload(dataset, numbers, "n.xlsx").preview[0] == {"text": "Order 15 is late", "score": "3", "when": "2024"}


def _broken_xlsx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "status", "reason"),
    [
        ("tool.exe", b"MZ", 415, "not a supported type"),
        ("notes.pdf", b"%PDF-1.4", 415, "not a supported type"),
        ("empty.csv", b"", 400, "empty"),
        ("header.csv", b"message,intent\n", 400, "no rows"),
        ("binary.csv", b"\x00\x01\x02garbage", 400, "binary"),
        ("broken.xlsx", _broken_xlsx(), 400, "Excel file cannot be read"),
        ("fake.xlsx", b"just text", 400, "Excel file cannot be read"),
        ("bad.json", b'{"rows": [1, 2', 400, "JSON is invalid"),
        ("scalars.json", b"[1, 2, 3]", 400, "no objects"),
        ("bad.jsonl", b'{"text": "ok"}\n{broken\n', 400, "line 2"),
        ("bad.parquet", b"PAR1 nope", 400, "Parquet"),
    ],
)
def test_bad_files_are_refused_with_a_reason_and_nothing_is_stored(dataset, name, data, status, reason):
    with pytest.raises(services.UploadRejected) as caught:
        upload(dataset, data, name)
    assert caught.value.status == status and reason in str(caught.value), str(caught.value)
    assert not Upload.objects.exists()


def test_files_over_the_limit_are_refused(dataset, settings):
    settings.DATASETS_MAX_UPLOAD_MB = 1
    big = SimpleUploadedFile("big.csv", b"message\n" + b"x" * (1024 * 1024 + 10))
    with pytest.raises(services.UploadRejected) as caught:
        services.upload_create(dataset=dataset, uploaded=big)
    assert caught.value.status == 413 and "limit is 1 MB" in str(caught.value)


def test_mapping_must_name_a_text_column_of_the_file(dataset):
    created = upload(dataset, csv_bytes(ROWS))
    with pytest.raises(services.ValidationError, match="no column 'body'"):
        services.run_create(upload=created, mapping=Mapping(text="body"), options={})
    with pytest.raises(services.ValidationError, match="more than one role"):
        services.run_create(upload=created, mapping=Mapping(text="message", label="message"), options={})
    assert not Run.objects.exists()


def test_a_text_column_that_is_empty_everywhere_fails_the_run_and_keeps_no_rows(dataset):
    rows = [{"message": "", "note": f"row {i}"} for i in range(5)]
    run = process(upload(dataset, csv_bytes(rows)), Mapping(text="message"))
    assert run.status == Run.Status.FAILED
    assert "empty 'message' column" in run.error
    assert not Row.objects.filter(run=run).exists()


def test_etl_normalises_and_keeps_metadata_and_response(dataset, small_sample):
    rows = rows_of(small_sample[:6])
    for row in rows:
        row["answer"] = "We are on it."
        row["agent"] = "Sam"
    rows[0]["message"] = "  Too\u00a0many\tspaces\n\nhere  "
    run = process(upload(dataset, csv_bytes(rows)), Mapping(text="message", label="intent", response="answer",
                                                            id="ticket", meta=("agent",)))  # fmt: skip
    first = Row.objects.get(run=run, position=0)
    assert first.text == "Too many spaces here"
    assert first.response == "We are on it." and first.meta == {"agent": "Sam"} and first.external_id == "T0"
