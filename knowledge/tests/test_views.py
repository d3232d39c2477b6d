from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from knowledge import services
from knowledge.models import Document
from knowledge.tests.conftest import index_text


def test_navigation_and_empty_state(agent_client):
    page = agent_client.get("/knowledge/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'href="/knowledge/"' in html and "No documents yet" in html
    assert "Upload files" in html  # agents may add documents


def test_upload_several_files_at_once_rejects_bad_ones_and_keeps_the_rest(
    manager_client, acme, django_capture_on_commit_callbacks
):
    files = [
        SimpleUploadedFile("faq.md", b"# FAQ\n\nAnswers."),
        SimpleUploadedFile("notes.txt", b"Some notes."),
        SimpleUploadedFile("tool.exe", b"MZ"),
    ]
    with django_capture_on_commit_callbacks() as callbacks:
        response = manager_client.post("/knowledge/upload/", {"files": files, "tags": "help, faq"}, follow=True)
    html = response.content.decode()
    assert "2 files added" in html and "tool.exe is not a supported type" in html
    assert len(callbacks) == 2
    with tenant_context(acme):
        assert sorted(Document.objects.values_list("filename", flat=True)) == ["faq.md", "notes.txt"]
        assert Document.objects.get(filename="faq.md").tags == ["faq", "help"]


def test_list_polls_while_documents_are_in_progress(manager_client, acme):
    with tenant_context(acme):
        pending = services.document_create_from_text(title="Pending", text="Text.", enqueue=False)
    rows = manager_client.get("/knowledge/", headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 2s"' in rows and "Pending" in rows and "<html" not in rows
    with tenant_context(acme):
        services.document_index(document_id=pending.pk)
    rows = manager_client.get("/knowledge/", headers={"HX-Request": "true"}).content.decode()
    assert "every 2s" not in rows and "Indexed" in rows


def test_failed_document_shows_reason_and_retry(manager_client, acme, django_capture_on_commit_callbacks):
    with tenant_context(acme):
        upload = SimpleUploadedFile("broken.docx", b"not a zip")
        document = services.document_create_from_upload(uploaded=upload, enqueue=False)
        services.document_index(document_id=document.pk)
    html = manager_client.get("/knowledge/").content.decode()
    assert "Word file cannot be read" in html and f"/knowledge/{document.pk}/retry/" in html
    with django_capture_on_commit_callbacks() as callbacks:
        manager_client.post(f"/knowledge/{document.pk}/retry/")
    assert len(callbacks) == 1
    with tenant_context(acme):
        assert Document.objects.get(pk=document.pk).status == "uploaded"


def test_add_url_and_text_forms_validate(manager_client, acme, django_capture_on_commit_callbacks):
    bad = manager_client.post("/knowledge/url/", {"url": "not a url"}, follow=True).content.decode()
    assert "Enter a valid URL" in bad
    with django_capture_on_commit_callbacks():
        manager_client.post("/knowledge/url/", {"url": "https://help.example.com/start"})
        manager_client.post("/knowledge/text/", {"title": "Hours", "text": "Open 9-5.", "language": "en"})
    with tenant_context(acme):
        assert sorted(Document.objects.values_list("source", flat=True)) == ["text", "url"]


def test_document_page_shows_chunks_and_actions(manager_client, acme):
    with tenant_context(acme):
        document = index_text("Guide", "# Guide\n\nFirst part.\n\n## Next\n\nSecond part.")
    html = manager_client.get(f"/knowledge/{document.pk}/").content.decode()
    assert "Guide &gt; Next" in html and "Second part." in html and "2 chunks" in html
    assert "Archive" in html and "Delete" in html
    manager_client.post(f"/knowledge/{document.pk}/archive/", {"archived": "1"})
    with tenant_context(acme):
        assert Document.objects.get(pk=document.pk).archived
    manager_client.post(f"/knowledge/{document.pk}/delete/")
    with tenant_context(acme):
        assert not Document.objects.filter(pk=document.pk).exists()


def test_agent_cannot_delete(agent_client, acme):
    with tenant_context(acme):
        document = services.document_create_from_text(title="Doc", text="Text.", enqueue=False)
    assert agent_client.post(f"/knowledge/{document.pk}/delete/").status_code == 403
    assert "Delete" not in agent_client.get(f"/knowledge/{document.pk}/").content.decode()


def test_search_playground_shows_scores_retrievers_and_highlights(agent_client, acme):
    with tenant_context(acme):
        index_text("Refunds", "Refunds reach your card within <ten> days.")
    html = agent_client.get("/knowledge/search/", {"q": "refund card", "mode": "hybrid"}).content.decode()
    assert "Refunds" in html and "score 0.1364" in html and "vector" in html and "keyword" in html
    assert "<mark>card</mark>" in html and "&lt;ten&gt;" in html
    partial = agent_client.get(
        "/knowledge/search/", {"q": "zzzz qqqq", "mode": "keyword"}, headers={"HX-Request": "true"}
    )
    assert "Nothing found" in partial.content.decode() and "<html" not in partial.content.decode()


def test_outsider_gets_404_on_every_document_page(acme, outsider_client):
    with tenant_context(acme):
        document = services.document_create_from_text(title="Acme secret", text="Acme only.", enqueue=False)
    for method, path in [
        ("get", f"/knowledge/{document.pk}/"),
        ("post", f"/knowledge/{document.pk}/retry/"),
        ("post", f"/knowledge/{document.pk}/archive/"),
        ("post", f"/knowledge/{document.pk}/delete/"),
    ]:
        assert getattr(outsider_client, method)(path).status_code == 404, path
    assert "Acme secret" not in outsider_client.get("/knowledge/").content.decode()
    assert "Acme" not in outsider_client.get("/knowledge/search/", {"q": "acme only"}).content.decode()
    with tenant_context(acme):
        assert Document.objects.filter(pk=document.pk).exists()


def test_document_page_polls_its_status_until_indexed(manager_client, acme):
    with tenant_context(acme):
        document = services.document_create_from_text(title="Queued", text="# Queued\n\nText.", enqueue=False)
    html = manager_client.get(f"/knowledge/{document.pk}/").content.decode()
    assert f"/knowledge/{document.pk}/?fragment=status" in html and 'hx-trigger="every 2s"' in html
    assert "Chunks appear here once indexing has finished" in html
    fragment = manager_client.get(f"/knowledge/{document.pk}/?fragment=status", headers={"HX-Request": "true"})
    assert "Uploaded" in fragment.content.decode() and "<html" not in fragment.content.decode()
    with tenant_context(acme):
        services.document_index(document_id=document.pk)
    fragment = manager_client.get(f"/knowledge/{document.pk}/?fragment=status", headers={"HX-Request": "true"})
    assert "every 2s" not in fragment.content.decode() and "1 chunk from 1 page" in fragment.content.decode()


def test_rejected_forms_keep_what_was_typed(manager_client):
    response = manager_client.post(
        "/knowledge/text/", {"title": "", "text": "A long article I pasted.", "language": "en"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "A long article I pasted." in html  # the text area still holds it
    response = manager_client.post("/knowledge/url/", {"url": "not a url", "title": "Docs"})
    assert response.status_code == 400 and 'value="not a url"' in response.content.decode()


def test_the_list_pages_keep_the_filter_in_their_links(manager_client, acme):
    with tenant_context(acme):
        for i in range(30):
            services.document_create_from_text(title=f"Guide {i:02d}", text="Text.", enqueue=False)
    first = manager_client.get("/knowledge/?status=uploaded").content.decode()
    assert "Page 1 of 2" in first
    assert 'href="?status=uploaded&amp;page=2" rel="next">Older →</a>' in first
    second = manager_client.get("/knowledge/?status=uploaded&page=2").content.decode()
    assert "Page 2 of 2" in second and 'href="?status=uploaded&amp;page=1" rel="prev">← Newer</a>' in second
