import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from helpdesk import ai
from knowledge import ingest, services
from knowledge.models import Chunk, Document
from knowledge.tests.conftest import index_text, make_pdf

ARTICLE = """# Shipping

Orders ship within one business day from our warehouse in Lyon.

## Costs

Standard shipping costs 4.90 EUR and is free above 50 EUR.

## Tracking

A tracking link arrives by email when the parcel leaves the warehouse.
"""


def test_a_document_is_chunked_embedded_and_searchable(in_acme):
    document = index_text("Shipping", ARTICLE, tags=["Orders"])
    chunks = list(document.chunks.order_by("position"))
    assert [c.heading for c in chunks] == ["Shipping", "Shipping > Costs", "Shipping > Tracking"]
    assert document.chunks_total == 3 and document.pages_total == 1 and len(document.checksum) == 64
    assert all(c.tags == ["orders"] and c.language == "en" and len(c.embedding) == 384 for c in chunks)
    assert services.search("how much is delivery", top_k=1)[0].heading == "Shipping > Costs"


def test_reindexing_a_changed_document_re_embeds_only_changed_chunks(in_acme, embed_spy):
    document = index_text("Shipping", ARTICLE)
    before = dict(document.chunks.values_list("heading", "id"))
    embed_spy.clear()

    document.text = ARTICLE.replace("4.90 EUR", "5.90 EUR") + "\n## Returns\n\nReturns are free within 30 days.\n"
    document.save()
    document = services.document_index(document_id=document.pk)  # type: ignore[assignment]

    assert [len(call) for call in embed_spy] == [2]  # the changed Costs chunk and the new Returns chunk
    after = dict(document.chunks.values_list("heading", "id"))
    assert after["Shipping"] == before["Shipping"] and after["Shipping > Tracking"] == before["Shipping > Tracking"]
    assert after["Shipping > Costs"] != before["Shipping > Costs"]
    assert not Chunk.objects.filter(pk=before["Shipping > Costs"]).exists()
    assert (document.chunks_total, document.chunks_reused) == (4, 2)
    assert "5.90" in document.chunks.get(heading="Shipping > Costs").text


def test_unchanged_document_embeds_nothing(in_acme, embed_spy):
    document = index_text("Shipping", ARTICLE)
    embed_spy.clear()
    services.document_index(document_id=document.pk)
    assert embed_spy == []


def test_progress_is_stored_after_each_batch(in_acme, embed_spy, monkeypatch):
    monkeypatch.setattr(ingest, "PROGRESS_BATCH", 2)
    seen = []
    real_embed = ai.embedder().embed_passages

    def record(texts, **kwargs):
        seen.append(Document.objects.values_list("status", "chunks_embedded").get(title="Long"))
        return real_embed(texts, **kwargs)

    monkeypatch.setattr(ai.embedder(), "embed_passages", record)
    text = "\n\n".join(f"# Part {i}\n\nParagraph {i} about topic {i}." for i in range(5))
    document = index_text("Long", text)
    assert seen == [("processing", 0), ("processing", 2), ("processing", 4)]
    assert document.progress_percent == 100


def test_corrupt_upload_fails_with_a_reason_and_can_be_retried(in_acme, django_capture_on_commit_callbacks):
    good = index_text("Shipping", ARTICLE)
    upload = SimpleUploadedFile("manual.pdf", b"%PDF-1.4 truncated")
    document = services.document_create_from_upload(uploaded=upload, enqueue=False)
    services.document_index(document_id=document.pk)
    document.refresh_from_db()
    assert document.status == Document.Status.FAILED
    assert "PDF cannot be read" in document.error
    assert not document.chunks.exists()
    good.refresh_from_db()
    assert good.status == Document.Status.INDEXED and good.chunks.count() == 3

    # The user replaces the file and retries: the retry is queued, then indexes fine.
    document.file.storage.delete(document.file.name)
    document.file.save("manual.pdf", SimpleUploadedFile("manual.pdf", make_pdf(["Warranty lasts two years."])))
    with django_capture_on_commit_callbacks() as callbacks:
        services.document_retry(document=document)
    assert len(callbacks) == 1 and document.status == Document.Status.UPLOADED and document.error == ""
    document = services.document_index(document_id=document.pk)  # type: ignore[assignment]
    assert document.status == Document.Status.INDEXED
    assert document.chunks.get().metadata == {"page": 1}


def test_upload_checks_type_and_size(in_acme, settings):
    settings.KB_MAX_UPLOAD_MB = 1
    for name, size, status in (("a.exe", 10, 415), ("big.txt", 1024 * 1024 + 1, 413)):
        with pytest.raises(services.UploadRejected) as rejected:
            services.document_create_from_upload(uploaded=SimpleUploadedFile(name, b"x" * size))
        assert rejected.value.status == status
    assert not Document.objects.exists()


def test_archive_hides_chunks_from_search_and_delete_removes_file(in_acme):
    document = index_text("Shipping", ARTICLE)
    services.document_archive(document=document)
    assert services.search("tracking link parcel") == []
    assert services.search("tracking link parcel", include_archived=True)
    services.document_archive(document=document, archived=False)
    assert services.search("tracking link parcel")

    upload = services.document_create_from_upload(uploaded=SimpleUploadedFile("a.txt", b"Hello"), enqueue=False)
    storage, name = upload.file.storage, upload.file.name
    assert storage.exists(name)
    services.document_delete(document=upload)
    assert not Document.objects.filter(pk=upload.pk).exists()


def test_language_detection_by_script():
    assert ingest.detect_language("Как сбросить пароль") == "ru"
    assert ingest.detect_language("Reset your password") == "en"
    assert ingest.detect_language("12345") == ""


def test_a_url_document_pointing_inside_the_network_fails_with_the_reason(in_acme, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    document = services.document_create_from_url(url="http://localhost:9/wiki/")  # a name: checked on connect
    failed = services.document_index(document_id=document.pk)
    assert failed is not None and failed.status == Document.Status.FAILED
    assert "private or internal network" in failed.error and "robots" not in failed.error
    assert not failed.chunks.exists()
