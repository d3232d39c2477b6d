"""Open an uploaded image safely: type by content, decompression bombs, EXIF rotation, animation, thumbnails.

``load_image`` never raises anything but ``ImageRejected``, whose message is shown to agents
and API clients as is.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

# Formats a browser or a phone sends as screenshots or photos; anything else is refused by content, not by name.
FORMATS = {"PNG", "JPEG", "GIF", "WEBP", "BMP", "TIFF", "MPO"}
MIN_SIDE = 8


class ImageRejected(Exception):
    """The file is not an image we read; the message says why, ``status`` is the HTTP answer to it."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class LoadedImage:
    image: Image.Image  # RGB, upright
    width: int
    height: int
    format: str
    frames: int


def load_image(data: bytes, *, max_pixels: int | None = None) -> LoadedImage:
    """The first frame of ``data`` as an upright RGB image, or ``ImageRejected`` with the reason."""
    limit = max_pixels or settings.VISION_MAX_PIXELS
    if not data:
        raise ImageRejected("The file is empty.")
    with warnings.catch_warnings():
        # Pillow warns between MAX_IMAGE_PIXELS and twice that and only raises beyond; refuse both.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        previous = Image.MAX_IMAGE_PIXELS
        try:
            Image.MAX_IMAGE_PIXELS = limit
            return _open(data, limit)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRejected(
                f"The image is too large to read safely (over {limit / 1_000_000:g} megapixels).", 413
            ) from None
        except UnidentifiedImageError:
            raise ImageRejected(
                "This file is not an image that can be read (PNG, JPEG, GIF, WebP, BMP, TIFF).", 415
            ) from None
        except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, MemoryError) as exc:
            raise ImageRejected(f"The image is damaged and cannot be read ({type(exc).__name__}).") from None
        finally:
            Image.MAX_IMAGE_PIXELS = previous


def _open(data: bytes, limit: int) -> LoadedImage:
    with Image.open(io.BytesIO(data)) as probe:
        image_format = probe.format or ""
        if image_format not in FORMATS:
            raise ImageRejected(f"Images of type {image_format or 'unknown'} are not read.", 415)
        probe.verify()  # structure and checksums, without decoding the pixels
    image = Image.open(io.BytesIO(data))
    width, height = image.size
    if width * height > limit:
        raise Image.DecompressionBombError("too many pixels")
    if min(width, height) < MIN_SIDE:
        raise ImageRejected(f"The image is too small to read ({width}x{height} pixels).")
    frames = int(getattr(image, "n_frames", 1) or 1)
    image.seek(0)
    image.load()
    upright = ImageOps.exif_transpose(image) or image
    rgb = _to_rgb(upright)
    return LoadedImage(image=rgb, width=rgb.width, height=rgb.height, format=image_format, frames=frames)


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        # Transparent screenshots (window captures) go on white, as they appear on screen.
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def thumbnail(image: Image.Image, *, size: int | None = None) -> bytes:
    """A WebP thumbnail that fits in ``size`` x ``size`` (re-encoded: safe to show inline)."""
    side = size or settings.VISION_THUMBNAIL_PX
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    copy.save(out, format="WEBP", quality=80, method=4)
    return out.getvalue()
