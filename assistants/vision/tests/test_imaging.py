"""Bad images get a clear reason, never a crash; good ones come out upright, RGB, first frame."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from assistants.vision import samples
from assistants.vision.imaging import ImageRejected, load_image, thumbnail


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("data", "status", "words"),
    [
        (b"", 400, "empty"),
        (b"%PDF-1.7 this is not an image at all", 415, "not an image"),
        (samples.encode(samples.dialog(["Hello"]))[:400], 400, "damaged"),
        (_png_header_only(60_000, 60_000), 413, "too large"),
    ],
    ids=["empty", "not-an-image", "truncated", "decompression-bomb"],
)
def test_bad_files_are_rejected_with_a_reason(settings, data, status, words):
    with pytest.raises(ImageRejected) as caught:
        load_image(data)
    assert words in str(caught.value)
    assert caught.value.status == status


def test_pixel_limit_is_a_setting(settings):
    settings.VISION_MAX_PIXELS = 10_000
    with pytest.raises(ImageRejected, match="too large"):
        load_image(samples.encode(Image.new("RGB", (200, 200), "white")))


def test_exif_rotation_is_applied():
    image = Image.new("RGB", (200, 100), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    loaded = load_image(samples.encode(image, "JPEG", exif=exif))
    assert (loaded.width, loaded.height) == (100, 200)
    assert loaded.format == "JPEG"


def test_animated_gif_reads_the_first_frame():
    frames = [Image.new("RGB", (64, 48), colour) for colour in ("red", "green", "blue")]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    loaded = load_image(out.getvalue())
    assert loaded.frames == 3
    assert loaded.image.convert("RGB").getpixel((10, 10)) == (255, 0, 0)  # red: the first frame


def test_transparent_screenshots_go_on_white():
    image = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    loaded = load_image(samples.encode(image))
    assert loaded.image.mode == "RGB"
    assert loaded.image.getpixel((5, 5)) == (255, 255, 255)


def test_thumbnail_is_a_small_webp():
    loaded = load_image(samples.encode(samples.dialog(["Hello"], size=(1280, 800))))
    data = thumbnail(loaded.image, size=320)
    with Image.open(io.BytesIO(data)) as thumb:
        assert thumb.format == "WEBP"
        assert max(thumb.size) == 320 and thumb.size[0] > thumb.size[1]
