from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from knowledge import services
from knowledge.models import Chunk, Document
from knowledge.tests.conftest import index_text

DOCS = "/api/v1/kb/documents/"


def test_text_document_is_accepted_with_202(api_client, acme, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = api_client.post(
            DOCS, {"title": "FAQ", "text": "# FAQ\n\nWe answer within a day.", "tags": ["faq"]}, "application/json"
        )
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "uploaded" and body["source"] == "text" and body["tags"] == ["faq"]
    assert len(callbacks) == 1  # indexing queued after the commit
    detail = api_client.get(f"{DOCS}{body['id']}/").json()
    assert detail["title"] == "FAQ" and detail["chunks_total"] == 0


def test_multipart_upload_and_url_are_accepted(api_client):
    upload = SimpleUploadedFile("guide.md", b"# Guide\n\nSteps.", content_type="text/markdown")
    response = api_client.post(DOCS, {"file": upload, "tags": ["a", "b"]})
    assert response.status_code == 202 and response.json()["filename"] == "guide.md"
    assert response.json()["tags"] == ["a", "b"]
    response = api_client.post(DOCS, {"url": "https://help.example.com/"}, "application/json")
    assert response.status_code == 202 and response.json()["source"] == "url"


def test_unsupported_type_is_415_with_the_accepted_types(api_client, acme):
    response = api_client.post(DOCS, {"file": SimpleUploadedFile("virus.exe", b"MZ")})
    assert response.status_code == 415
    assert ".pdf" in response.json()["accepted"] and "virus.exe" in response.json()["detail"]
    with tenant_context(acme):
        assert not Document.objects.exists()


def test_too_large_upload_is_413(api_client, settings):
    settings.KB_MAX_UPLOAD_MB = 1
    response = api_client.post(DOCS, {"file": SimpleUploadedFile("big.txt", b"a" * (1024 * 1024 + 10))})
    assert response.status_code == 413 and "limit is 1 MB" in response.json()["detail"]


def test_bad_bodies_are_400_with_reasons(api_client):
    both = api_client.post(DOCS, {"title": "x", "text": "y", "url": "https://a.example/"}, "application/json")
    assert both.status_code == 400 and "exactly one" in str(both.json())
    untitled = api_client.post(DOCS, {"text": "y"}, "application/json")
    assert untitled.status_code == 400 and "title" in untitled.json()
    assert api_client.post(DOCS, "not json", "application/json").status_code == 400
    assert api_client.post(DOCS, b"<xml/>", "application/xml").status_code == 415


def test_list_filters_and_delete(api_client, acme):
    with tenant_context(acme):
        kept = index_text("Kept", "Kept text.")
        gone = index_text("Gone", "Gone text.")
    listing = api_client.get(DOCS, {"status": "indexed"}).json()
    assert listing["count"] == 2 and {d["title"] for d in listing["results"]} == {"Kept", "Gone"}
    assert api_client.delete(f"{DOCS}{gone.pk}/").status_code == 204
    assert api_client.get(f"{DOCS}{gone.pk}/").status_code == 404
    with tenant_context(acme):
        assert not Chunk.objects.filter(document_id=gone.pk).exists()
        assert Chunk.objects.filter(document_id=kept.pk).exists()


def test_upsert_is_idempotent_by_source_and_hash(api_client, acme):
    payload: dict = {
        "chunks": [
            {"text": "Our office is open 9 to 5.", "source": "crm", "external_id": "a1", "tags": ["hours"]},
            {"text": "We close on public holidays.", "source": "crm", "external_id": "a2"},
            {"text": "Мы работаем с 9 до 18.", "source": "crm-ru", "language": "ru"},
        ]
    }
    first = api_client.post("/api/v1/kb/upsert", payload, "application/json")
    assert first.status_code == 200 and first.json()["created"] == 3 and first.json()["unchanged"] == 0
    payload["chunks"][0]["tags"] = ["hours", "office"]
    again = api_client.post("/api/v1/kb/upsert", payload, "application/json").json()
    assert (again["created"], again["unchanged"]) == (0, 3)
    with tenant_context(acme):
        assert Chunk.objects.count() == 3
        assert Chunk.objects.get(external_id="a1").tags == ["hours", "office"]
        assert Document.objects.filter(source="api").count() == 2
    hits = api_client.post("/api/v1/kb/search", {"query": "opening hours", "top_k": 1}, "application/json").json()
    assert hits["results"][0]["text"] == "Our office is open 9 to 5."


def test_upsert_validates(api_client):
    assert api_client.post("/api/v1/kb/upsert", {"chunks": []}, "application/json").status_code == 400
    response = api_client.post("/api/v1/kb/upsert", {"chunks": [{"text": "no source"}]}, "application/json")
    assert response.status_code == 400 and "source" in str(response.json())


def test_search_endpoint_returns_typed_hits(api_client, acme):
    with tenant_context(acme):
        doc = index_text("Refunds", "Refunds reach your card within ten days.", tags=["billing"])
        index_text("Shipping", "Parcels ship in one day.", tags=["orders"])
    response = api_client.post(
        "/api/v1/kb/search",
        {"query": "refund to card", "top_k": 5, "mode": "hybrid", "filters": {"tags": ["billing"]}},
        "application/json",
    )
    assert response.status_code == 200
    [hit] = response.json()["results"]
    assert hit["document_id"] == doc.pk and hit["document_title"] == "Refunds"
    assert set(hit["retrievers"]) == {"vector", "keyword"} and "card" in hit["highlights"]
    assert {"chunk_id", "text", "score", "similarity"} <= hit.keys()


def test_search_endpoint_rejects_bad_input(api_client):
    for body in ({"query": ""}, {"query": "x", "mode": "fuzzy"}, {"query": "x", "top_k": 500}, {"top_k": 3}):
        response = api_client.post("/api/v1/kb/search", body, "application/json")
        assert response.status_code == 400, body


def test_reindex_is_queued(api_client, acme, django_capture_on_commit_callbacks):
    with tenant_context(acme):
        index_text("One", "One chunk.")
    with django_capture_on_commit_callbacks() as callbacks:
        response = api_client.post("/api/v1/kb/reindex")
    assert response.status_code == 202 and response.json() == {"chunks": 1}
    assert len(callbacks) == 1


def test_reembedding_keeps_rows_and_refreshes_vectors(in_acme):
    document = index_text("One", "One chunk about invoices.")
    chunk = document.chunks.get()
    Chunk.objects.filter(pk=chunk.pk).update(embedding=[0.0] * 383 + [1.0])
    assert services.chunks_reembed() == 1
    refreshed = Chunk.objects.get(pk=chunk.pk)
    assert (services.search("invoices", mode="vector")[0].similarity or 0) > 0.5
    assert list(refreshed.embedding[-3:]) != [0.0, 0.0, 1.0]


def test_outsider_gets_404_for_acme_documents(acme, outsider_client):
    with tenant_context(acme):
        document = services.document_create_from_text(title="Secret", text="Acme only.", enqueue=False)
    assert outsider_client.get(f"{DOCS}{document.pk}/").status_code == 404
    assert outsider_client.delete(f"{DOCS}{document.pk}/").status_code == 404
    assert outsider_client.get(DOCS).json()["count"] == 0
    with tenant_context(acme):
        assert Document.objects.filter(pk=document.pk).exists()


def test_session_users_need_the_role_permissions(agent_client, manager_client, acme):
    with tenant_context(acme):
        document = services.document_create_from_text(title="Doc", text="Text.", enqueue=False)
    assert agent_client.get(DOCS).status_code == 200
    assert agent_client.delete(f"{DOCS}{document.pk}/").status_code == 403
    assert agent_client.post("/api/v1/kb/reindex").status_code == 403
    assert manager_client.delete(f"{DOCS}{document.pk}/").status_code == 204


def test_anonymous_is_refused(acme_client):
    assert acme_client.get(DOCS).status_code in {401, 403}
    assert acme_client.post("/api/v1/kb/search", {"query": "x"}, "application/json").status_code in {401, 403}
