"""The same file uploaded again: recognised, held back, then replaced, kept as a second copy or dropped.

A document is the same file when its bytes match (SHA-256) or, for an updated version, when it has
the same file name. The new upload waits under ``MEDIA_ROOT/<schema>/knowledge/held/`` until the
person decides; held files older than ``HELD_MAX_AGE`` are removed on the next upload.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import PurePath

from django.core.files import File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Case, IntegerField, Value, When

from knowledge import services
from knowledge.models import Document

HELD_DIR = "knowledge/held"
HELD_MAX_AGE = 24 * 3600


@dataclass(frozen=True)
class Held:
    """An upload waiting for a decision, as kept in the session."""

    path: str
    filename: str
    duplicate_of: int
    same_content: bool
    language: str
    tags: list[str]
    held_at: float
    visibility: str = "internal"

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def duplicate_of(*, uploaded: UploadedFile, digest: str) -> tuple[Document | None, bool]:
    """The document this upload repeats (and whether the bytes are the same), or (None, False)."""
    name = PurePath(uploaded.name or "").name
    match = (
        (
            Document.objects.filter(source=Document.Source.UPLOAD, file_sha256=digest)
            | Document.objects.filter(source=Document.Source.UPLOAD, filename=name)
        )
        .annotate(same=Case(When(file_sha256=digest, then=Value(1)), default=Value(0), output_field=IntegerField()))
        .order_by("-same", "-created_at")
        .first()
    )
    if match is None:
        return None, False
    return match, bool(match.same)


def upload_hold(
    *,
    uploaded: UploadedFile,
    duplicate: Document,
    same_content: bool,
    language: str,
    tags: list[str],
    visibility: str = "internal",
) -> Held:
    """Keep the upload aside until someone picks replace, keep both or discard."""
    _sweep()
    name = PurePath(uploaded.name or "upload").name
    path = default_storage.save(f"{HELD_DIR}/{uuid.uuid4().hex}/{name}", uploaded)
    return Held(
        path=path,
        filename=name,
        duplicate_of=duplicate.pk,
        same_content=same_content,
        language=language,
        tags=list(tags),
        held_at=time.time(),
        visibility=visibility,
    )


def _sweep() -> None:
    try:
        folders, _ = default_storage.listdir(HELD_DIR)
    except FileNotFoundError:
        return
    for folder in folders:
        try:
            _, files = default_storage.listdir(f"{HELD_DIR}/{folder}")
        except FileNotFoundError:
            continue
        for name in files:
            path = f"{HELD_DIR}/{folder}/{name}"
            if time.time() - default_storage.get_modified_time(path).timestamp() > HELD_MAX_AGE:
                default_storage.delete(path)


def _valid(held: Held) -> bool:
    parts = PurePath(held.path).parts
    return (
        len(parts) == 4 and "/".join(parts[:2]) == HELD_DIR and ".." not in parts and default_storage.exists(held.path)
    )


def held_discard(*, held: Held) -> None:
    if _valid(held):
        default_storage.delete(held.path)


@transaction.atomic
def held_keep_both(*, held: Held) -> Document:
    """Add the held upload as a document of its own, next to the one it repeats."""
    if not _valid(held):
        raise services.ExtractionError(f"The upload of {held.filename} expired; upload it again.")
    with default_storage.open(held.path, "rb") as stored:
        upload = File(stored, name=held.filename)
        document = services.document_create_from_upload(
            uploaded=upload,  # type: ignore[arg-type]
            language=held.language,
            tags=held.tags,
            visibility=held.visibility,
        )
    path = held.path
    transaction.on_commit(lambda: default_storage.delete(path))
    return document


@transaction.atomic
def held_replace(*, held: Held, document: Document) -> Document:
    """The held upload becomes ``document``'s file; it is indexed again (unchanged chunks are kept)."""
    if not _valid(held):
        raise services.ExtractionError(f"The upload of {held.filename} expired; upload it again.")
    with default_storage.open(held.path, "rb") as stored:
        document = document_replace_file(
            document=document,
            uploaded=File(stored, name=held.filename),  # type: ignore[arg-type]
            language=held.language,
            tags=held.tags,
        )
    path = held.path
    transaction.on_commit(lambda: default_storage.delete(path))
    return document


@transaction.atomic
def document_replace_file(
    *, document: Document, uploaded: UploadedFile, language: str = "", tags: Iterable[str] = ()
) -> Document:
    """Put a new version of the file in place of ``document``'s and index it again."""
    services.check_upload(uploaded)
    if document.status == Document.Status.PROCESSING:
        raise services.ExtractionError(f"“{document.title}” is being indexed right now; try again in a moment.")
    old_name, storage = document.file.name, document.file.storage
    name = PurePath(uploaded.name or "upload").name
    document.file_sha256 = services.file_digest(uploaded)
    document.file.save(name, uploaded, save=False)
    document.filename = name[:255]
    if language:
        document.language = language
    if tags:
        document.tags = sorted({*document.tags, *(t.strip().lower()[:50] for t in tags if t.strip())})
    document.status = Document.Status.UPLOADED
    document.error = ""
    document.save()
    if old_name and old_name != document.file.name:
        transaction.on_commit(lambda: storage.delete(old_name))
    services.document_retry(document=document)
    return document
