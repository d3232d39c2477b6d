"""Rendered screenshots for the demo, the tests and the benchmark: dialogs, forms and plain photos.

Fonts: the system's DejaVu / Liberation faces when present, else Pillow's bundled one, so the
tests render the same images on any machine. Pillow's bundled face has no Cyrillic letters: the
Russian screens need DejaVu Sans (Debian's fonts-dejavu-core), and say so when it is missing.
"""

from __future__ import annotations

import io
import json
import random
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype/liberation")
FONT_FILES = (
    "DejaVuSans.ttf",
    "DejaVuSans-Bold.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSansMono.ttf",
    "LiberationSans-Regular.ttf",
    "LiberationSerif-Regular.ttf",
    "LiberationMono-Regular.ttf",
)
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
CYRILLIC_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
)


def font_paths() -> list[Path]:
    """System fonts found on this machine (may be empty)."""
    return [Path(d) / f for d in FONT_DIRS for f in FONT_FILES if (Path(d) / f).is_file()]


def cyrillic_font() -> Path:
    """A system font with Cyrillic letters; ``FileNotFoundError`` naming the package when there is none."""
    for candidate in CYRILLIC_FONTS:
        if Path(candidate).is_file():
            return Path(candidate)
    raise FileNotFoundError(
        f"No font with Cyrillic letters ({', '.join(CYRILLIC_FONTS)}): install fonts-dejavu-core (make install does)."
    )


def load_font(size: int, path: Path | str | None = None) -> Font:
    if path is not None:
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def dialog(
    lines: Sequence[str],
    *,
    size: tuple[int, int] = (900, 260),
    font: Path | str | None = None,
    font_size: int = 22,
    title: str | None = None,
    background: tuple[int, int, int] = (245, 246, 248),
    noise: float = 0.0,
    seed: int = 0,
    button: str = "OK",
    ink: tuple[int, int, int] = (30, 32, 36),
    paper: tuple[int, int, int] = (255, 255, 255),
) -> Image.Image:
    """An error-dialog-like screen: a title bar, the lines in a box, buttons; ``noise`` 0..1 adds grain.

    ``ink`` and ``paper`` are the colours of the text and its box (grey on grey for a faded screen).
    """
    width, height = size
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    text_font = load_font(font_size, font)
    title_font = load_font(round(font_size * 1.15), font)
    box = (width // 12, height // 10, width - width // 12, height - height // 10)
    draw.rectangle(box, fill=paper, outline=(190, 190, 196), width=2)
    y = box[1] + font_size
    if title:
        draw.text((box[0] + font_size, y), title, fill=(180, 30, 30), font=title_font)
        y += round(font_size * 1.9)
    for line in lines:
        draw.text((box[0] + font_size, y), line, fill=ink, font=text_font)
        y += round(font_size * 1.6)
    button_y = min(y + font_size // 2, box[3] - font_size * 2)
    draw.rectangle(
        (box[2] - font_size * 6, button_y, box[2] - font_size, button_y + round(font_size * 1.6)), fill=(31, 111, 235)
    )
    draw.text((box[2] - font_size * 5, button_y + font_size // 4), button, fill=(255, 255, 255), font=text_font)
    return add_noise(image, noise, seed) if noise else image


def add_noise(image: Image.Image, amount: float, seed: int = 0) -> Image.Image:
    """Sensor-like grain plus a slight blur, as in a photo of a screen or a recompressed capture."""
    rng = random.Random(seed)  # noqa: S311  (reproducible pictures, not secrets)
    # Pillow's effect_noise draws from the C library's unseeded rand(): the same seed gave a different
    # picture in every process (an OCR test read "8" in one CI run). numpy's generator takes the seed.
    noise = np.random.default_rng(seed).normal(128, 64 * amount + 1, (image.height, image.width))
    grain = Image.fromarray(noise.clip(0, 255).astype(np.uint8), "L").convert("RGB")
    mixed = Image.blend(image, grain, min(0.35, amount * 0.35))
    return mixed.filter(ImageFilter.GaussianBlur(radius=amount * 1.2 + rng.random() * 0.2))


def photo(size: tuple[int, int] = (640, 480), seed: int = 0) -> Image.Image:
    """A text-free, photo-like image: soft gradients, blobs and grain."""
    rng = random.Random(seed)  # noqa: S311  (reproducible pictures, not secrets)
    width, height = size
    base = Image.linear_gradient("L").resize(size).convert("RGB")
    tint = Image.new("RGB", size, tuple(rng.randrange(40, 220) for _ in range(3)))
    image = Image.blend(base, tint, 0.6)
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(20, max(21, width // 4))
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    image = image.filter(ImageFilter.GaussianBlur(radius=6))
    return add_noise(image, 0.5, seed)


# Screens in both languages for the tests and the benchmark: (title, lines, button) of each kind.
SCREENS: dict[str, dict[str, tuple[str, list[str], str]]] = {
    "ru": {
        "error_dialog": (
            "Ошибка",
            ["Ошибка 0x80070005: отказано в доступе.", "Не удалось сохранить файл."],
            "ОК",
        ),
        "payment_error": (
            "Оплата не прошла",
            ["Ошибка 0x80070005: карта отклонена банком-эмитентом.", "Попробуйте другую карту."],
            "ОК",
        ),
        "login_page": ("Вход в личный кабинет", ["Неверный логин или пароль.", "Забыли пароль?"], "Войти"),
        "router_status": (
            "Состояние подключения",
            ["Интернет: нет соединения", "Ошибка PPPoE 691: неверное имя пользователя."],
            "ОК",
        ),
    },
    "en": {
        "error_dialog": ("Error", ["Error 0x80070005: access is denied.", "The file could not be saved."], "OK"),
        "payment_error": (
            "Payment failed",
            ["Error 0x80070005: card declined by issuer.", "Try another card."],
            "OK",
        ),
        "login_page": ("Sign in to your account", ["Wrong email or password.", "Forgot your password?"], "Log in"),
        "router_status": (
            "Connection status",
            ["Internet: not connected", "PPPoE error 691: wrong user name."],
            "OK",
        ),
    },
}
VARIANTS = ("clean", "blurred", "low_contrast")


def screen(
    kind: str,
    language: str,
    *,
    variant: str = "clean",
    size: tuple[int, int] = (900, 300),
    font_size: int = 22,
    seed: int = 0,
) -> tuple[Image.Image, str]:
    """One of ``SCREENS`` rendered in DejaVu Sans, and the text drawn on it (what OCR should read).

    ``variant``: ``clean``; ``blurred`` (grain and blur as in a photo of a screen); ``low_contrast``
    (grey text on a grey box). The same arguments give the same pixels in every process.
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}: one of {', '.join(VARIANTS)}")
    title, lines, button = SCREENS[language][kind]
    faded = variant == "low_contrast"
    image = dialog(
        lines,
        size=size,
        font=cyrillic_font(),
        font_size=font_size,
        title=title,
        button=button,
        seed=seed,
        ink=(118, 120, 124) if faded else (30, 32, 36),
        paper=(200, 202, 206) if faded else (255, 255, 255),
    )
    if variant == "blurred":
        image = add_noise(image, 0.6, seed)
    return image, " ".join([title, *lines, button])


def encode(image: Image.Image, format: str = "PNG", **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=format, **options)
    return out.getvalue()


# A randomly initialised CLIP small enough to build in a second: tests and the benchmark use it where no
# real checkpoint exists (its scores are noise; it shows that loading, prompts and mixing work).
TINY_CLIP = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "head_width": 16, "patch_size": 16},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}


def write_tiny_clip(root: Path, seed: int = 0) -> Path:
    """Register the tiny config with open-clip and save a random model in the ``local-dir:`` form under ``root``."""
    # heavy: loaded on first use (torch and open_clip take seconds to import)
    import open_clip
    import torch
    from safetensors.torch import save_file

    configs = root / "configs"
    configs.mkdir(parents=True, exist_ok=True)
    (configs / "tiny-test-clip.json").write_text(json.dumps(TINY_CLIP))
    open_clip.add_model_config(configs)
    torch.manual_seed(seed)
    model = open_clip.create_model("tiny-test-clip", pretrained=None)
    checkpoint = root / "tiny-test-clip"
    checkpoint.mkdir(exist_ok=True)
    (checkpoint / "open_clip_config.json").write_text(json.dumps({"model_cfg": TINY_CLIP, "preprocess_cfg": {}}))
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, checkpoint / "open_clip_model.safetensors")
    return checkpoint


# Web pages with account chrome around what matters: a header with navigation and the account's menu,
# breadcrumbs, the panel (a title and its lines) and a footer. Three layouts; the same arguments give the
# same pixels in every process.
PAGE_LAYOUTS = ("topbar", "sidebar", "card")


def page(
    title: str,
    lines: Sequence[str],
    *,
    nav: Sequence[str],
    account: str,
    breadcrumbs: Sequence[str] = (),
    footer: Sequence[str] = (),
    layout: str = "topbar",
    size: tuple[int, int] = (1280, 800),
    font: Path | str | None = None,
    font_size: int = 20,
    seed: int = 0,
) -> tuple[Image.Image, str]:
    """A status page or dialog inside a site's chrome, and the text drawn on it (what OCR should read)."""
    if layout not in PAGE_LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}: one of {', '.join(PAGE_LAYOUTS)}")
    rng = random.Random(seed)  # noqa: S311  (reproducible pictures, not secrets)
    width, height = size
    hue = tuple(rng.randrange(20, 90) for _ in range(3))
    image = Image.new("RGB", size, (248, 249, 251))
    draw = ImageDraw.Draw(image)
    text_font = load_font(font_size, font)
    small = load_font(max(12, round(font_size * 0.8)), font)
    big = load_font(round(font_size * 1.4), font)
    bar = round(font_size * 2.8)
    drawn: list[str] = []
    left = 0
    if layout == "sidebar":
        left = max(160, width // 5)
        draw.rectangle((0, 0, left, height), fill=hue)
        for i, item in enumerate(nav):
            draw.text((20, bar + 20 + i * round(font_size * 2.2)), item, fill=(240, 240, 240), font=text_font)
        draw.rectangle((left, 0, width, bar), fill=(255, 255, 255), outline=(220, 220, 226))
        draw.text((width - 20 - draw.textlength(account, font=text_font), bar // 3), account, fill=hue, font=text_font)
        drawn += [*nav, account]
    else:
        draw.rectangle((0, 0, width, bar), fill=hue)
        x = 24
        for item in nav:
            draw.text((x, bar // 3), item, fill=(245, 245, 245), font=text_font)
            x += round(draw.textlength(item, font=text_font)) + font_size * 2
        draw.text(
            (width - 24 - draw.textlength(account, font=text_font), bar // 3),
            account,
            fill=(255, 255, 255),
            font=text_font,
        )
        drawn += [*nav, account]
    y = bar + font_size
    if breadcrumbs:
        crumb = " › ".join(breadcrumbs)
        draw.text((left + 24, y), crumb, fill=(110, 110, 120), font=small)
        drawn.append(crumb)
        y += round(font_size * 2)
    margin = (width - left) // (4 if layout == "card" else 12)
    box = (left + margin, y, width - margin, min(height - bar - font_size, y + font_size * (4 + 2 * len(lines))))
    draw.rectangle(box, fill=(255, 255, 255), outline=(200, 200, 210), width=2)
    draw.text((box[0] + font_size, box[1] + font_size), title, fill=(20, 20, 24), font=big)
    drawn.append(title)
    line_y = box[1] + round(font_size * 3.4)
    for line in lines:
        draw.text((box[0] + font_size, line_y), line, fill=(40, 40, 46), font=text_font)
        drawn.append(line)
        line_y += round(font_size * 1.8)
    if footer:
        text = "   ".join(footer)
        draw.text((left + 24, height - round(font_size * 2)), text, fill=(130, 130, 140), font=small)
        drawn.append(text)
    return image, " ".join(drawn)
