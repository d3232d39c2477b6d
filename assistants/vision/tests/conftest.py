"""Fixtures of the screenshot reader's tests: rendered screenshots, a tiny random CLIP, tickets with images.

Rendering uses Pillow's bundled font (``samples.load_font(size)``), so images are the same on every
machine; OCR and the embedding model are real and loaded once per process.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from assistants.vision import pipeline, samples
from assistants.vision.defaults import DEFAULT_LABELS
from helpdesk.tenants.models import Tenant
from helpdesk.tenants.services import tenant_create
from tickets import services as tickets
from tickets.models import Reply, Ticket
from tickets.tests.conftest import contact, in_acme, media_root  # noqa: F401  (fixtures shared with tickets)

PAYMENT_LINES = ["Payment failed", "Error 0x80070005: card declined by issuer", "Try another card."]


@pytest.fixture(scope="session")
def payment_png() -> bytes:
    """A card-declined dialog, 720x220 (small: OCR of it takes well under a second)."""
    return samples.encode(samples.dialog(PAYMENT_LINES, size=(720, 220), font_size=20))


@pytest.fixture(scope="session")
def photo_jpeg() -> bytes:
    # PP-OCR reads some blobs as a lone "8" (seeds 1-3, 7, 8, 10, 11 at 320x240 do): seed 5 has none at
    # either size. The picture is the same in every process since add_noise takes its seed.
    return samples.encode(samples.photo((320, 240), seed=5), "JPEG", quality=85)


@pytest.fixture(scope="session")
def default_labels() -> list[pipeline.LabelSpec]:
    return [
        pipeline.LabelSpec(d["name"], d["title"], d["description"], d["examples"], d["is_fallback"])
        for d in DEFAULT_LABELS
    ]


@pytest.fixture(scope="session")
def tiny_clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised CLIP saved in open-clip's local-dir form (config + safetensors), built once."""
    return samples.write_tiny_clip(tmp_path_factory.mktemp("clip"))


@pytest.fixture
def with_clip(settings: Any, tiny_clip_dir: Path) -> Path:
    settings.VISION_CLIP_CHECKPOINT = f"local-dir:{tiny_clip_dir}"
    return tiny_clip_dir


def upload(name: str, data: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def screenshot_ticket(in_acme: Any, contact: Any, media_root: Any, payment_png: bytes) -> tuple[Ticket, Reply]:  # noqa: F811
    """A ticket whose customer sent only a screenshot (and a one-line note, as the reply form needs a body)."""
    ticket = tickets.ticket_create(subject="Help", requester=contact, by=contact, description="")
    reply = tickets.reply_add(
        ticket=ticket, body="See attached.", by=contact, files=[upload("declined.png", payment_png)]
    )
    return ticket, reply


@pytest.fixture(scope="session")
def ru_vision_tenant(django_db_setup: None, django_db_blocker: Any) -> Tenant:
    """A Russian tenant (so e5), created once."""
    with django_db_blocker.unblock():
        return tenant_create(schema_name="ruvision", name="Связь", domain="ruvision.localhost", language="ru").tenant


@pytest.fixture
def in_language(request: pytest.FixtureRequest, acme: Tenant, ru_vision_tenant: Tenant, db: None) -> Iterator[str]:
    """Inside acme (English, MiniLM) or the Russian tenant (e5), by the test's parameter "en" or "ru"."""
    language = request.param
    with tenant_context(acme if language == "en" else ru_vision_tenant):
        yield language
