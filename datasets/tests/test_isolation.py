"""Another tenant's datasets, uploads, runs, rows and versions do not exist for an outsider: 404, never 403."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.test import Client
from django_tenants.utils import tenant_context

from conftest import GLOBEX_HOST
from datasets import selectors
from datasets.models import Row
from helpdesk.accounts.services import api_key_issue


def _acme_urls(run) -> tuple[list[str], list[str]]:
    dataset, version = run.dataset, run.version
    row = Row.objects.filter(run=run).first()
    assert row is not None
    d, tag = dataset.pk, version.tag
    pages = [
        f"/datasets/{d}/", f"/datasets/uploads/{run.upload_id}/", f"/datasets/runs/{run.pk}/",
        f"/datasets/runs/{run.pk}/review/", f"/datasets/{d}/versions/{tag}/",
        f"/datasets/{d}/versions/{tag}/download/train.jsonl", f"/datasets/{d}/diff/?base={tag}&other={tag}",
    ]  # fmt: skip
    posts = [
        f"/datasets/runs/{run.pk}/write/", f"/datasets/runs/{run.pk}/restart/", f"/datasets/runs/{run.pk}/review/undo/",
        f"/datasets/runs/{run.pk}/review/bulk/", f"/datasets/runs/{run.pk}/review/{row.pk}/",
        f"/datasets/{d}/rollback/", f"/datasets/{d}/versions/{tag}/checkout/", f"/datasets/{d}/versions/{tag}/retrain/",
        f"/datasets/uploads/{run.upload_id}/",
    ]  # fmt: skip
    return pages, posts


def test_an_outsider_gets_404_on_every_page(outsider_client, written):
    pages, posts = _acme_urls(written)
    for url in pages:
        assert outsider_client.get(url).status_code == 404, url
    for url in posts:
        assert outsider_client.post(url, {"action": "accept", "min_confidence": "0"}).status_code == 404, url


def test_another_tenants_api_key_sees_nothing(written, globex):
    with tenant_context(globex):
        raw = api_key_issue(name="globex").raw_key
    client = Client(HTTP_HOST=GLOBEX_HOST, headers={"Authorization": f"Api-Key {raw}"})
    d, tag, run = written.dataset.pk, written.version.tag, written.pk
    base = "/api/v1/datasets/"
    for url in [f"{base}runs/{run}", f"{base}{d}/versions", f"{base}{d}/versions/{tag}",
                f"{base}{d}/diff?base={tag}&other={tag}", f"{base}{d}/download/train/{tag}"]:  # fmt: skip
        assert client.get(url).status_code == 404, url
    assert client.post(f"{base}{d}/versions/{tag}/checkout").status_code == 404
    assert client.post(f"{base}runs/{run}/write", {}, "application/json").status_code == 404
    assert client.post(f"{base}process", {"upload_id": written.upload_id}, "application/json").status_code == 404
    classify = client.post(f"{base}classify", {"texts": ["my parcel is late"], "dataset": d}, "application/json")
    assert classify.status_code == 404
    assert client.post(f"{base}classify", {"texts": ["my parcel is late"]}, "application/json").status_code == 404
    assert client.get(f"{base}").json()["results"] == [] and client.get(f"{base}stats").json()["versions"] == 0
    with tenant_context(globex):
        assert not selectors.version_list_for_tenant().exists()


def test_files_live_under_the_tenants_own_folder(written):
    for name in written.version.files.values():
        assert "/media/acme/datasets/versions/" in default_storage.path(name)
