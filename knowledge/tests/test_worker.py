"""End to end on the real Celery worker: rows are committed so that the worker process sees them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tenants.utils import tenant_context

from conftest import ACME_HOST, GLOBEX_HOST, login_client, make_user
from helpdesk.accounts.services import api_key_issue
from helpdesk.tenants.models import Tenant
from knowledge.models import Document
from knowledge.tests.conftest import make_docx, wait_for

DOCS = "/api/v1/kb/documents/"


@pytest.fixture
def acme_api(committed):
    with tenant_context(Tenant.objects.get(schema_name="acme")):
        raw = api_key_issue(name="worker-tests").raw_key
    return Client(HTTP_HOST=ACME_HOST, headers={"Authorization": f"Api-Key {raw}"})


def wait_until_done(client: Client, document_id: int) -> dict:
    state: dict = {}

    def done() -> bool:
        state.update(client.get(f"{DOCS}{document_id}/").json())
        return state["status"] in {"indexed", "failed"}

    wait_for(done, timeout=120)
    return state


def test_uploaded_word_file_is_indexed_by_the_worker_and_searchable(acme_api, celery_worker):
    data = make_docx([("h1", "Warranty"), ("p", "Every device has a two-year warranty covering parts and labour.")])
    created = acme_api.post(DOCS, {"file": SimpleUploadedFile("warranty.docx", data), "tags": ["legal"]})
    assert created.status_code == 202
    state = wait_until_done(acme_api, created.json()["id"])
    assert state["status"] == "indexed", state["error"]
    assert state["chunks_total"] == 1 and state["chunks_embedded"] == 1 and state["progress"] == 100
    hits = acme_api.post("/api/v1/kb/search", {"query": "how long is the guarantee"}, "application/json").json()
    assert hits["results"][0]["document_title"] == "Warranty" and hits["results"][0]["heading"] == "Warranty"


def test_url_crawl_runs_on_the_worker(acme_api, celery_worker, local_site):
    created = acme_api.post(DOCS, {"url": local_site.url("/index.html"), "tags": ["site"]}, "application/json")
    state = wait_until_done(acme_api, created.json()["id"])
    assert state["status"] == "indexed", state["error"]
    assert state["pages_total"] == 5  # index, orders, account, slow, tracking; not private/, deep, the PDF
    assert state["title"] == "Help center"
    body = {"query": "courier scans the parcel at each depot", "top_k": 1}
    [hit] = acme_api.post("/api/v1/kb/search", body, "application/json").json()["results"]
    assert hit["metadata"].get("url") == local_site.url("/orders/tracking.html"), hit
    secret = acme_api.post("/api/v1/kb/search", {"query": "escalation", "mode": "keyword"}, "application/json")
    assert secret.json()["results"] == []


def test_corrupt_upload_fails_on_the_worker_and_the_page_explains(committed, celery_worker):
    acme = Tenant.objects.get(schema_name="acme")
    client = login_client(acme, make_user(acme, "mgr-worker@acme.test", "manager"), ACME_HOST)
    client.post("/knowledge/upload/", {"files": [SimpleUploadedFile("scan.pdf", b"%PDF-1.7 garbage")]})
    with tenant_context(acme):
        document = Document.objects.get(filename="scan.pdf")

    def failed() -> bool:
        rows = client.get("/knowledge/", headers={"HX-Request": "true"}).content.decode()
        return "PDF cannot be read" in rows and "every 2s" not in rows

    wait_for(failed, timeout=120)
    html = client.get(f"/knowledge/{document.pk}/").content.decode()
    assert "Failed" in html and "Retry" in html


def test_globex_never_sees_acme_chunks_indexed_by_the_worker(acme_api, celery_worker):
    created = acme_api.post(
        DOCS, {"title": "Acme vault", "text": "The vault code is kept by Acme security."}, "application/json"
    )
    assert wait_until_done(acme_api, created.json()["id"])["status"] == "indexed"
    globex = Tenant.objects.get(schema_name="globex")
    with tenant_context(globex):
        raw = api_key_issue(name="globex").raw_key
    globex_api = Client(HTTP_HOST=GLOBEX_HOST, headers={"Authorization": f"Api-Key {raw}"})
    for mode in ("hybrid", "vector", "keyword"):
        body = {"query": "vault code Acme security", "mode": mode, "top_k": 50}
        assert globex_api.post("/api/v1/kb/search", body, "application/json").json()["results"] == []
    assert globex_api.get(f"{DOCS}{created.json()['id']}/").status_code == 404
