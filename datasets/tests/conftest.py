"""Fixtures of the datasets tests: sample files in every format, and a run taken through the pipeline here.

Steps run synchronously in the test process with the real embedding model (loaded once per
process); the worker path has its own tests. The LLM is switched off unless a test asks for it.
"""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django_tenants.utils import tenant_context

from datasets import pipeline, services
from datasets.models import Dataset, Run, Upload
from datasets.sample import Message, messages
from datasets.steps.base import Mapping


@dataclass
class OllamaServer:
    """A local stand-in for Ollama's /api/chat (its documented JSON API): labels by keyword, fixed rewrites."""

    url: str = ""
    prompts: list[str] = field(default_factory=list)

    @staticmethod
    def label_for(message: str) -> str:
        text = message.lower()
        for word, label in (("order", "shipping"), ("parcel", "shipping"), ("password", "password"),
                            ("log", "password"), ("charge", "billing"), ("invoice", "billing")):  # fmt: skip
            if word in text:
                return label
        return "bug"

    def answer(self, prompt: str) -> str:
        if prompt.startswith("Classify"):
            return f"Label: {self.label_for(prompt.rsplit('Message: ', 1)[1])}."
        return "1. Could you help me with this, please: it is about my account.\n2. Could you look into this for me?"


@pytest.fixture
def ollama_server() -> Iterator[OllamaServer]:
    state = OllamaServer()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            prompt = payload["messages"][-1]["content"]
            state.prompts.append(prompt)
            body = json.dumps({"model": payload["model"], "created_at": "2026-12-01T00:00:00Z", "done": True,
                               "message": {"role": "assistant", "content": state.answer(prompt)},
                               "done_reason": "stop", "eval_count": 12}).encode()  # fmt: skip
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _no_llm_by_default(settings: Any) -> None:
    settings.DATASETS_LLM_PROVIDER = "extractive"


@pytest.fixture
def in_acme(acme: Any) -> Iterator[Any]:
    with tenant_context(acme):
        yield acme


@pytest.fixture(params=["en", "ru"])
def language(request: Any, in_acme: Any) -> Iterator[str]:
    """The tenant reads English with MiniLM, Russian with e5 (what a Russian tenant is given)."""
    tenant = connection.tenant  # type: ignore[attr-defined]  # set by django-tenants
    before = tenant.embedding_model
    tenant.embedding_model = "minilm" if request.param == "en" else "e5"
    yield request.param
    tenant.embedding_model = before


@pytest.fixture
def dataset(in_acme: Any, manager: Any) -> Dataset:
    return services.dataset_create(name="Support chats", by=manager)


def rows_of(
    sample: list[Message], *, labeled_every: int = 1, noisy: dict[int, str] | None = None
) -> list[dict[str, str]]:
    """Rows with the text, the label on every ``labeled_every``-th row (others empty) and a channel."""
    out = []
    for i, message in enumerate(sample):
        label = message.label if i % labeled_every == 0 else ""
        if noisy and i in noisy:
            label = noisy[i]
        out.append({"message": message.text, "intent": label, "channel": message.domain, "ticket": f"T{i}"})
    return out


def csv_bytes(rows: list[dict[str, str]], delimiter: str = ",") -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), delimiter=delimiter)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def jsonl_bytes(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def xlsx_bytes(rows: list[dict[str, Any]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(rows[0]))
    for row in rows:
        sheet.append(list(row.values()))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def parquet_bytes(rows: list[dict[str, Any]]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), out)
    return out.getvalue()


MAPPING = Mapping(text="message", label="intent", domain="channel", id="ticket")


def upload(dataset: Dataset, data: bytes, name: str = "chats.csv") -> Upload:
    return services.upload_create(dataset=dataset, uploaded=SimpleUploadedFile(name, data))


def process(upload_: Upload, mapping: Mapping = MAPPING, **options: Any) -> Run:
    """Create a run and take it through the pipeline here (what the worker's task does)."""
    options.setdefault("create_version", False)
    run = services.run_create(upload=upload_, mapping=mapping, options=options)
    pipeline.run_process(run_id=run.pk)
    run.refresh_from_db()
    return run


def write(run: Run, by: Any = None, **fields: Any) -> Run:
    """Write a version from a processed run (rows still in review are left out), as the worker would."""
    if run.status != Run.Status.DONE or fields:
        services.run_write_request(run=run, by=by, **fields)
        pipeline.run_write(run_id=run.pk, author_id=by.pk if by is not None else None)
    run.refresh_from_db()
    assert run.status == Run.Status.DONE, run.error
    return run


def version_of(run: Run) -> Any:
    assert run.version is not None, run.error
    return run.version


@pytest.fixture(scope="session")
def sample() -> list[Message]:
    """60 messages over four labels (15 each)."""
    return messages(60, seed=7, labels=["billing", "password", "shipping", "bug"])


@pytest.fixture
def api(acme: Any) -> Client:
    from conftest import ACME_HOST
    from helpdesk.accounts.services import api_key_issue

    with tenant_context(acme):
        raw = api_key_issue(name="datasets-tests").raw_key
    return Client(HTTP_HOST=ACME_HOST, headers={"Authorization": f"Api-Key {raw}"})


@pytest.fixture
def acme_api(committed: None) -> Client:
    """An API client of acme whose writes commit, for tests on the real worker."""
    from conftest import ACME_HOST
    from helpdesk.accounts.services import api_key_issue
    from helpdesk.tenants.models import Tenant

    with tenant_context(Tenant.objects.get(schema_name="acme")):
        raw = api_key_issue(name="datasets-worker").raw_key
    return Client(HTTP_HOST=ACME_HOST, headers={"Authorization": f"Api-Key {raw}"})


@pytest.fixture(scope="session")
def small_sample() -> list[Message]:
    """24 messages over three labels (8 each): below the size where the labeler switches to a classifier."""
    return messages(24, seed=3, labels=["billing", "password", "shipping"])


@pytest.fixture
def written(dataset: Dataset, small_sample: list[Message]) -> Run:
    """A run over the small sample, written as v1.0.0 (with its classifier)."""
    return write(process(upload(dataset, csv_bytes(rows_of(small_sample))), create_version=True))
