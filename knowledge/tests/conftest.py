"""Fixtures of the knowledge tests: sample files of every format, a local web site, indexed documents.

The embedding model is loaded once per process (``helpdesk.ai.embedder``)
and shared by every test; the Celery worker loads its own copy on its first task.
"""

from __future__ import annotations

import contextlib
import io
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django_tenants.utils import tenant_context

from helpdesk import ai
from helpdesk.ai import Embedder
from knowledge import services
from knowledge.models import Document


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return ai.embedder()


@pytest.fixture
def in_acme(acme: Any, embedder: Embedder) -> Iterator[Any]:
    with tenant_context(acme):
        yield acme


def index_text(title: str, text: str, **kwargs: Any) -> Document:
    """A text document indexed here, synchronously (the worker path has its own tests)."""
    document = services.document_create_from_text(title=title, text=text, enqueue=False, **kwargs)
    indexed = services.document_index(document_id=document.pk)
    assert indexed is not None and indexed.status == Document.Status.INDEXED, indexed and indexed.error
    return indexed


@pytest.fixture
def embed_spy(embedder: Embedder, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Records the texts of every passage-embedding call (the real model still runs)."""
    calls: list[list[str]] = []
    real = embedder.embed_passages

    def spy(texts: Any, **kwargs: Any) -> Any:
        calls.append(list(texts))
        return real(texts, **kwargs)

    monkeypatch.setattr(embedder, "embed_passages", spy)
    return calls


# --- Sample files ----------------------------------------------------------------------------------


def make_pdf(pages: list[str]) -> bytes:
    """A minimal valid PDF with one line of Helvetica text per page (written by hand: no PDF library needed)."""
    objects: list[bytes] = []
    page_ids = [4 + 2 * i for i in range(len(pages))]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = " ".join(f"{i} 0 R" for i in page_ids).encode()
    objects.append(b"<< /Type /Pages /Kids [" + kids + b"] /Count " + str(len(pages)).encode() + b" >>")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for index, text in enumerate(pages):
        content_id = page_ids[index] + 1
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
            f"/Contents {content_id} 0 R >>".encode()
        )
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        stream = f"BT /F1 12 Tf 72 720 Td ({escaped}) Tj ET".encode("latin-1")
        objects.append(b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def encrypt_pdf(data: bytes) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_docx(blocks: list[tuple[str, str]]) -> bytes:
    """A .docx from (style, text) pairs: style "h1"/"h2" for headings, "p" for paragraphs."""
    import docx

    document = docx.Document()
    for style, text in blocks:
        if style.startswith("h"):
            document.add_heading(text, level=int(style[1:]))
        else:
            document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# --- A local web site -------------------------------------------------------------------------------


class _Handler(SimpleHTTPRequestHandler):
    slow_seconds = 0.0

    def do_GET(self) -> None:
        if self.path.startswith("/slow"):
            time.sleep(self.slow_seconds)
        super().do_GET()

    def handle(self) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the crawler gave up on a slow page
            super().handle()

    def log_message(self, format: str, *args: Any) -> None:
        pass


SITE_PAGES = {
    "robots.txt": "User-agent: *\nDisallow: /private/\n",
    "index.html": """<html><head><title>Help center</title></head><body><nav><a href="/">Home</a></nav>
<article><h1>Help center</h1><p>Welcome to the help center of Example Corp. Find answers about orders and accounts
below, or write to support if something is missing here.</p>
<p><a href="/orders.html">Orders</a> <a href="/account.html#top">Account</a> <a href="/private/secret.html">Internal</a>
<a href="http://elsewhere.invalid/page.html">Partner site</a> <a href="/slow.html">Slow page</a>
<a href="/manual.pdf">Manual</a></p></article></body></html>""",
    "orders.html": """<html><head><title>Orders</title></head><body><article><h1>Orders</h1>
<p>Parcels leave the warehouse within one business day. The courier brings them in three to five days.</p>
<p><a href="/orders/tracking.html">Tracking</a></p></article></body></html>""",
    "orders/tracking.html": """<html><head><title>Tracking</title></head><body><article><h1>Tracking</h1>
<p>Every parcel has a tracking number that the courier scans at each depot on the way to you.</p>
<p><a href="/orders/deep.html">Deeper</a></p></article></body></html>""",
    "orders/deep.html": """<html><head><title>Deep</title></head><body><article><h1>Deep page</h1>
<p>This page is three links away from the start page, which is beyond the crawl depth of two.</p>
</article></body></html>""",
    "account.html": """<html><head><title>Account</title></head><body><article><h1>Account</h1>
<p>Change the email address of your account in the profile settings and confirm it from the new inbox.</p>
</article></body></html>""",
    "private/secret.html": """<html><head><title>Secret</title></head><body><article><h1>Secret</h1>
<p>Internal escalation phone numbers that robots.txt keeps out of any crawl.</p></article></body></html>""",
    "slow.html": """<html><head><title>Slow</title></head><body><article><h1>Slow</h1>
<p>This page answers after the crawl timeout and is skipped.</p></article></body></html>""",
    "manual.pdf": "%PDF-1.4 not html",
}


class LocalSite:
    def __init__(self, root: Path, port: int) -> None:
        self.root = root
        self.port = port

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def local_site(tmp_path: Path, allow_loopback: None) -> Iterator[LocalSite]:
    for name, body in SITE_PAGES.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body)
    handler: Callable[..., Any] = partial(type("H", (_Handler,), {"slow_seconds": 2.0}), directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LocalSite(tmp_path, server.server_address[1])
    server.shutdown()
    server.server_close()


def wait_for(predicate: Callable[[], bool], timeout: float = 60.0, interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


@pytest.fixture
def api_client(acme: Any) -> Any:
    """A client of the acme API with an API key."""
    from django.test import Client

    from conftest import ACME_HOST
    from helpdesk.accounts.services import api_key_issue

    with tenant_context(acme):
        raw = api_key_issue(name="kb-tests").raw_key
    return Client(HTTP_HOST=ACME_HOST, headers={"Authorization": f"Api-Key {raw}"})
