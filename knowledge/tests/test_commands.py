from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import tenant_context

from knowledge import demo, services
from knowledge.models import Chunk, Document
from knowledge.tests.conftest import make_pdf


def test_kb_import_indexes_a_folder_and_reports_failures(acme, embedder, tmp_path):
    (tmp_path / "guides").mkdir()
    (tmp_path / "guides" / "setup.md").write_text("# Setup\n\nPlug the router in and wait for the green light.")
    (tmp_path / "manual.pdf").write_bytes(make_pdf(["The router resets with a pin in the back."]))
    (tmp_path / "broken.pdf").write_bytes(b"%PDF garbage")
    (tmp_path / "photo.png").write_bytes(b"\x89PNG")
    out = StringIO()
    call_command("kb_import", str(tmp_path), "--tenant", "acme", "--tags", "router", stdout=out)
    output = out.getvalue()
    assert "skipped" in output and "photo.png" in output
    assert "failed" in output and "PDF cannot be read" in output
    assert "2 of 3 files imported" in output
    with tenant_context(acme):
        statuses = dict(Document.objects.values_list("filename", "status"))
        assert statuses == {"setup.md": "indexed", "manual.pdf": "indexed", "broken.pdf": "failed"}
        assert services.search("reset the router", top_k=1)[0].document_title == "manual"
        assert Chunk.objects.filter(tags=["router"]).count() == 2


def test_kb_import_needs_a_known_tenant_and_path(db, tmp_path):
    with pytest.raises(CommandError, match="No tenant"):
        call_command("kb_import", str(tmp_path), "--tenant", "nope")
    with pytest.raises(CommandError, match="does not exist"):
        call_command("kb_import", str(tmp_path / "missing"), "--tenant", "acme")


def test_kb_reindex_re_embeds_every_chunk(acme, embedder):
    with tenant_context(acme):
        document = services.document_create_from_text(title="T", text="Invoices are monthly.", enqueue=False)
        services.document_index(document_id=document.pk)
    out = StringIO()
    call_command("kb_reindex", "--tenant", "acme", stdout=out)
    assert "Re-embedded 1 chunks of acme" in out.getvalue()


def test_demo_help_center_is_idempotent(acme, globex, embedder):
    with tenant_context(acme):
        demo.seed(tenant=acme)
        first = sorted(Chunk.objects.values_list("id", "sha256"))
        titles = set(Document.objects.values_list("title", flat=True))
        assert len(titles) == len(demo.ARTICLES) >= 12
        assert {"Reset your password", "Refund policy", "API rate limits", "Delete your account"} <= titles
        assert not Document.objects.exclude(status="indexed").exists()
        demo.seed(tenant=acme)
        assert sorted(Chunk.objects.values_list("id", "sha256")) == first
        assert services.search("I want my money back", top_k=1)[0].document_title == "Refund policy"
        assert services.search("2FA codes rejected", top_k=1)[0].document_title == "Two-factor authentication (2FA)"
    with tenant_context(globex):
        demo.seed(tenant=globex)
        assert not Document.objects.exists()
