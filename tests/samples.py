"""Small real files for upload tests: what libmagic recognises by content, built without extra packages."""

from __future__ import annotations

import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A valid RGB PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def exe_bytes() -> bytes:
    """The start of a Windows program (an MZ header pointing at a PE header)."""
    header = bytearray(256)
    header[0:2] = b"MZ"
    header[0x3C:0x40] = struct.pack("<I", 0x80)
    header[0x80:0x84] = b"PE\x00\x00"
    header[0x84:0x86] = struct.pack("<H", 0x14C)
    return bytes(header)


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def png(name: str = "screen.png") -> SimpleUploadedFile:
    return upload(name, png_bytes(), "image/png")


def pdf(name: str = "guide.pdf") -> SimpleUploadedFile:
    return upload(name, pdf_bytes(), "application/pdf")


def text(name: str = "notes.txt", body: str = "E42 at 09:40\n") -> SimpleUploadedFile:
    return upload(name, body.encode(), "text/plain")
