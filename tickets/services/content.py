"""Is a file what its name says? Content types from the bytes (libmagic through python-magic).

The extension decides which types are allowed (``TICKETS_ATTACHMENT_TYPES``); this check makes
sure the content agrees, so a program renamed to ``photo.png`` or ``notes.txt`` is refused.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import magic
from django.core.exceptions import ValidationError

# How much of a file libmagic reads: enough for every signature it knows (ZIP members included).
HEAD_BYTES = 256 * 1024

TEXT_SUFFIXES = {".txt", ".log", ".csv", ".json", ".md", ".markdown", ".xml", ".yaml", ".yml", ".ini", ".conf"}
ZIP_TYPES = {"application/zip", "application/x-zip-compressed"}
# The content types each extension may have; a suffix not listed here only has to be no program.
EXPECTED: dict[str, set[str]] = {
    ".png": {"image/png"},
    ".jpg": {"image/jpeg"},
    ".jpeg": {"image/jpeg"},
    ".gif": {"image/gif"},
    ".webp": {"image/webp"},
    ".bmp": {"image/bmp", "image/x-ms-bmp"},
    ".tif": {"image/tiff"},
    ".tiff": {"image/tiff"},
    ".heic": {"image/heic", "image/heif"},
    ".pdf": {"application/pdf"},
    ".zip": ZIP_TYPES,
    ".docx": {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", *ZIP_TYPES},
    ".xlsx": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", *ZIP_TYPES},
    ".pptx": {"application/vnd.openxmlformats-officedocument.presentationml.presentation", *ZIP_TYPES},
    ".odt": {"application/vnd.oasis.opendocument.text", *ZIP_TYPES},
    ".ods": {"application/vnd.oasis.opendocument.spreadsheet", *ZIP_TYPES},
    ".mp4": {"video/mp4"},
    ".mov": {"video/quicktime"},
    ".mp3": {"audio/mpeg"},
    ".wav": {"audio/x-wav", "audio/wav"},
}
# Never accepted under any name: programs and libraries a click could run.
PROGRAMS = {
    "application/x-dosexec",
    "application/x-msdownload",
    "application/vnd.microsoft.portable-executable",
    "application/x-executable",
    "application/x-sharedlib",
    "application/x-pie-executable",
    "application/x-mach-binary",
    "application/x-msi",
    "application/x-ms-installer",
    "application/java-archive",
    "application/x-elf",
}
KIND_NAMES = {
    "image/png": "a PNG image",
    "image/jpeg": "a JPEG image",
    "image/gif": "a GIF image",
    "image/webp": "a WebP image",
    "application/pdf": "a PDF document",
    "application/zip": "a ZIP archive",
    "text/plain": "text",
}


@cache
def _detector() -> Any:
    return magic.Magic(mime=True)


def sniff(head: bytes) -> str:
    """The content type libmagic reads from the first bytes of a file."""
    return str(_detector().from_buffer(head))


def describe(content_type: str) -> str:
    if content_type in PROGRAMS:
        return "a program"
    return KIND_NAMES.get(content_type) or content_type


def read_head(upload: Any) -> bytes:
    """The first ``HEAD_BYTES`` of an upload; the file is left at its start for whoever saves it."""
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    return bytes(head)


def content_check(upload: Any, *, name: str, suffix: str) -> str:
    """The sniffed content type; ``ValidationError`` when it contradicts ``suffix`` or is a program."""
    head = read_head(upload)
    detected = sniff(head)
    if detected in PROGRAMS:
        raise ValidationError(f"{name} is a program, not a {suffix or 'plain'} file; programs cannot be attached.")
    if suffix in TEXT_SUFFIXES:
        if not _looks_like_text(head, detected):
            raise ValidationError(f"{name} does not contain text (it looks like {describe(detected)}).")
        return detected
    expected = EXPECTED.get(suffix)
    if expected is not None and detected not in expected:
        wanted = describe(sorted(expected)[0])
        raise ValidationError(f"{name} is not {wanted}: its content looks like {describe(detected)}.")
    return detected


def _looks_like_text(head: bytes, detected: str) -> bool:
    if detected.startswith("text/") or detected in {"application/json", "application/csv", "application/xml"}:
        return True
    # libmagic calls some text "application/octet-stream" (unusual encodings); a NUL byte never is text.
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    return detected == "application/octet-stream" and b"\x00" not in head
