"""Who may read a document: internal (staff) or public (widget, portal), in search, API, pages, admin, commands."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django_tenants.utils import tenant_context

from knowledge import services
from knowledge.models import Chunk, Document
from knowledge.tests.conftest import index_text

REFUNDS = "# Refunds\n\nRefunds reach the original card within five business days after we receive the parcel."
ESCALATION = "# Refund escalations\n\nRefunds above 500 EUR need the approval of the finance lead Marta before payout."


@pytest.fixture
def two_docs(in_acme):
    public = index_text("Refunds", REFUNDS, visibility="public", external_id="faq-refunds")
    internal = index_text("Refund escalations", ESCALATION)
    return public, internal


def titles(hits):
    return {hit.document_title for hit in hits}


def test_new_documents_are_internal_and_search_filters_by_visibility(two_docs):
    _, internal = two_docs
    assert internal.visibility == "internal"
    assert set(internal.chunks.values_list("visibility", flat=True)) == {"internal"}
    query = "how long do refunds take"
    assert titles(services.search(query, top_k=5)) == {"Refunds", "Refund escalations"}
    assert titles(services.search(query, top_k=5, visibility="public")) == {"Refunds"}
    assert titles(services.search(query, top_k=5, visibility="internal")) == {"Refund escalations"}
    for mode in ("vector", "keyword"):
        assert titles(services.search("refunds", top_k=5, mode=mode, visibility="public")) == {"Refunds"}
    with pytest.raises(services.SearchError, match="Unknown visibility"):
        services.search(query, visibility="everyone")


def test_hits_carry_external_id_and_visibility(two_docs):
    hit = services.search("refund card", top_k=1, visibility="public")[0]
    assert hit.external_id == "faq-refunds" and hit.visibility == "public"


def test_changing_visibility_moves_the_chunks_and_survives_a_reindex(two_docs):
    _, internal = two_docs
    services.document_set_visibility(document=internal, visibility="public")
    assert titles(services.search("finance approval", top_k=5, visibility="public")) >= {"Refund escalations"}
    internal.text = ESCALATION + "\n\nThe approval arrives by e-mail."
    internal.save()
    services.document_index(document_id=internal.pk)
    assert set(Chunk.objects.filter(document=internal).values_list("visibility", flat=True)) == {"public"}
    services.document_set_visibility(document=internal, visibility="internal")
    assert "Refund escalations" not in titles(services.search("finance approval", top_k=5, visibility="public"))


def test_api_sets_changes_and_filters_visibility(api_client, acme):
    docs = "/api/v1/kb/documents/"
    created = api_client.post(
        docs, {"title": "T", "text": "Parcels ship daily.", "visibility": "public"}, "application/json"
    )
    assert created.status_code == 202 and created.json()["visibility"] == "public"
    default = api_client.post(docs, {"title": "U", "text": "Internal note."}, "application/json").json()
    assert default["visibility"] == "internal"
    bad = api_client.post(docs, {"title": "V", "text": "x", "visibility": "everyone"}, "application/json")
    assert bad.status_code == 400 and "visibility" in bad.json()
    assert [d["title"] for d in api_client.get(docs + "?visibility=public").json()["results"]] == ["T"]
    patched = api_client.patch(f"{docs}{default['id']}/", {"visibility": "public"}, "application/json")
    assert patched.status_code == 200 and patched.json()["visibility"] == "public"
    assert api_client.patch(f"{docs}{default['id']}/", {"visibility": "x"}, "application/json").status_code == 400

    upserted = api_client.post(
        "/api/v1/kb/upsert",
        {
            "chunks": [
                {"text": "Gift cards never expire.", "source": "crm", "external_id": "kb-7", "visibility": "public"}
            ]
        },
        "application/json",
    )
    assert upserted.status_code == 200, upserted.json()
    search = {"query": "do gift cards expire", "top_k": 3, "filters": {"visibility": "public"}}
    hits = api_client.post("/api/v1/kb/search", search, "application/json").json()["results"]
    assert hits[0]["external_id"] == "kb-7" and hits[0]["visibility"] == "public"
    internal_only = {**search, "filters": {"visibility": "internal"}}
    assert not any(
        h["external_id"] == "kb-7"
        for h in api_client.post("/api/v1/kb/search", internal_only, "application/json").json()["results"]
    )


def test_pages_add_toggle_and_filter_visibility(manager_client, acme, outsider_client):
    response = manager_client.post(
        "/knowledge/text/", {"title": "Shipping", "text": "We ship daily.", "visibility": "public"}
    )
    assert response.status_code == 302
    with tenant_context(acme):
        document = Document.objects.get(title="Shipping")
        assert document.visibility == "public"
    page = manager_client.get(f"/knowledge/{document.pk}/").content.decode()
    assert "Public (customers too)" in page and "Make internal" in page
    manager_client.post(f"/knowledge/{document.pk}/visibility/", {"visibility": "internal"})
    with tenant_context(acme):
        document.refresh_from_db()
        assert document.visibility == "internal"
    assert outsider_client.post(f"/knowledge/{document.pk}/visibility/", {"visibility": "public"}).status_code == 404
    assert 'name="visibility"' in manager_client.get("/knowledge/search/").content.decode()


def test_kb_import_takes_a_visibility(acme, embedder, tmp_path):
    (tmp_path / "faq.md").write_text("# FAQ\n\nOur support answers within one business day.")
    call_command("kb_import", str(tmp_path), tenant="acme", visibility="public", stdout=io.StringIO())
    with tenant_context(acme):
        document = Document.objects.get(filename="faq.md")
        assert document.visibility == "public"
        assert set(document.chunks.values_list("visibility", flat=True)) == {"public"}


def test_admin_changes_go_through_the_services(acme, manager_client, embedder):
    with tenant_context(acme):
        document = index_text("Returns", "# Returns\n\nReturns are free within 30 days.")
    manager_client.post(
        "/admin/knowledge/document/",
        {"action": "make_public", "_selected_action": [document.pk]},
    )
    with tenant_context(acme):
        assert set(Chunk.objects.filter(document=document).values_list("visibility", flat=True)) == {"public"}


def test_an_internal_ip_address_is_refused_when_the_url_is_added(manager_client, api_client, acme, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    page = manager_client.post("/knowledge/url/", {"url": "http://169.254.169.254/latest/meta-data/"})
    assert page.status_code == 400 and "private or internal network" in page.content.decode()
    api = api_client.post("/api/v1/kb/documents/", {"url": "http://[::1]:8080/"}, "application/json")
    assert api.status_code == 400 and "private or internal network" in api.json()["detail"]
    with tenant_context(acme):
        assert not Document.objects.exists()
