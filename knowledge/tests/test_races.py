"""Concurrent writers on real connections, and admin deletes that go through the services."""

from __future__ import annotations

import threading
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection as django_connection
from django_tenants.utils import schema_context, tenant_context

from knowledge import services
from knowledge.models import Chunk, Document

TEXTS = [
    "Parcels leave the warehouse within one business day.",
    "Refunds reach the card within five business days.",
    "Gift cards never expire and can be topped up online.",
]


def test_two_concurrent_upserts_of_a_new_source_give_one_document(committed, embedder):
    start = threading.Barrier(2)
    results: list[services.UpsertResult] = []
    errors: list[BaseException] = []

    def upsert(texts: list[tuple[int, str]]) -> None:
        try:
            with schema_context("acme"):
                start.wait(timeout=10)
                items = [services.ChunkInput(text=t, source="crm-export", external_id=f"e{i}") for i, t in texts]
                results.append(services.chunks_upsert(items=items))
        except BaseException as exc:  # reported below, with the thread's traceback
            errors.append(exc)
        finally:
            django_connection.close()

    first = list(enumerate(TEXTS))
    second = list(enumerate(TEXTS))[1:]  # overlaps: two texts both threads push at once
    threads = [threading.Thread(target=upsert, args=(texts,)) for texts in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    with schema_context("acme"):
        (document,) = Document.objects.filter(source="api", external_id="crm-export")
        texts = list(Chunk.objects.filter(document=document).values_list("text", flat=True))
        assert sorted(texts) == sorted(TEXTS) and document.chunks_total == 3
    assert sorted(r.created for r in results) in ([0, 3], [1, 2])  # whoever came second found the rest
    assert sum(r.created + r.unchanged for r in results) == 5


def test_admin_delete_removes_chunks_and_the_stored_file(acme, embedder, settings, tmp_path):
    from conftest import ACME_HOST, login_client, make_user

    settings.MEDIA_ROOT = str(tmp_path)
    admin_client = login_client(acme, make_user(acme, "root@acme.test", "admin"), ACME_HOST)
    with tenant_context(acme):
        document = services.document_create_from_upload(
            uploaded=SimpleUploadedFile("guide.md", b"# Guide\n\nRestart the router first."), enqueue=False
        )
        services.document_index(document_id=document.pk)
        stored = Path(document.file.path)
    assert stored.exists()
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = admin_client.post(f"/admin/knowledge/document/{document.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    with tenant_context(acme):
        assert not Document.objects.filter(pk=document.pk).exists() and not Chunk.objects.exists()
    assert not stored.exists()
