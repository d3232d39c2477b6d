"""POST /api/v1/vision/classify, and the vision entry of /health/deps."""

from __future__ import annotations

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from assistants.vision import services
from assistants.vision.models import ScreenshotLabel
from assistants.vision.samples import dialog, encode
from conftest import ACME_HOST, GLOBEX_HOST
from tickets.tests.conftest import api_client


@pytest.fixture
def acme_key(acme) -> Client:
    return api_client(acme, ACME_HOST)


def test_classify_reads_and_classifies_an_upload(acme_key, payment_png):
    response = acme_key.post("/api/v1/vision/classify", {"image": _file("shot.png", payment_png)})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["category"] == "payment_problem" and body["title"] == "Payment problem"
    assert body["source"] == "ocr" and 0.5 < body["confidence"] <= 1
    assert body["labels"] == ["interface_error", "payment_problem", "technical_failure", "product_question", "other"]
    assert set(body["scores"]) == set(body["labels"])
    assert "card declined by issuer" in body["text"] and body["error_codes"] == ["0x80070005"]
    assert body["width"] == 720 and body["height"] == 220


def test_classify_takes_the_seeds_field_name_too(acme_key, photo_jpeg):
    body = acme_key.post("/api/v1/vision/classify", {"file": _file("cat.jpg", photo_jpeg)}).json()
    assert (body["category"], body["source"], body["text"]) == ("other", "none", "")
    assert body["low_confidence"] is True


@pytest.mark.parametrize(
    ("field", "data", "status", "words"),
    [
        ("other", b"x", 400, "image"),
        ("image", b"plain text, not an image", 415, "not an image"),
        ("image", encode(dialog(["Hello"]))[:300], 400, "damaged"),
    ],
)
def test_classify_bad_input_is_a_clear_4xx(acme_key, field, data, status, words):
    response = acme_key.post("/api/v1/vision/classify", {field: _file("x.png", data)})
    assert response.status_code == status
    assert words in response.content.decode()


def test_classify_refuses_large_uploads(acme_key, settings, payment_png):
    settings.VISION_MAX_UPLOAD_MB = 1
    response = acme_key.post("/api/v1/vision/classify", {"image": _file("big.png", payment_png + b"\0" * 1_100_000)})
    assert response.status_code == 413


def test_classify_uses_the_tenants_own_labels(acme, globex, payment_png):
    with tenant_context(globex):
        services.label_save(name="billing", title="Billing", description="an invoice", examples="Card declined")
    globex_key = api_client(globex, GLOBEX_HOST)
    globex_labels = globex_key.post("/api/v1/vision/classify", {"image": _file("a.png", payment_png)}).json()["labels"]
    assert "billing" in globex_labels
    with tenant_context(acme):
        assert not ScreenshotLabel.objects.filter(name="billing").exists()
    acme_labels = api_client(acme, ACME_HOST).post("/api/v1/vision/classify", {"image": _file("a.png", payment_png)})
    assert "billing" not in acme_labels.json()["labels"]


def test_a_key_of_another_tenant_is_refused(globex, payment_png):
    key = api_client(globex, GLOBEX_HOST)
    response = key.post("/api/v1/vision/classify", {"image": _file("a.png", payment_png)}, HTTP_HOST=ACME_HOST)
    assert response.status_code == 401


def test_signed_in_agents_may_classify_and_anonymous_may_not(agent_client, acme_client, payment_png):
    assert agent_client.post("/api/v1/vision/classify", {"image": _file("a.png", payment_png)}).status_code == 200
    assert acme_client.post("/api/v1/vision/classify", {"image": _file("a.png", payment_png)}).status_code in (401, 403)


def test_health_reports_the_ocr_engine_and_clip(db, settings, tiny_clip_dir):
    settings.HEALTH_REQUIRED = ["database"]
    settings.METRICS_TOKEN = "ops-token"  # the details are for operators
    ops = {"Authorization": "Bearer ops-token"}
    body = Client(HTTP_HOST=ACME_HOST).get("/health/deps", headers=ops).json()
    assert body["vision"]["ok"] is True
    assert body["vision"]["ocr"].startswith("rapidocr 3.10.0")
    assert body["vision"]["clip"] == "not configured"
    settings.VISION_CLIP_CHECKPOINT = f"local-dir:{tiny_clip_dir}"
    assert (
        Client(HTTP_HOST=ACME_HOST).get("/health/deps", headers=ops).json()["vision"]["clip"]
        == f"configured: {tiny_clip_dir}"
    )
    settings.VISION_CLIP_CHECKPOINT = "/nowhere/clip"
    broken = Client(HTTP_HOST=ACME_HOST).get("/health/deps", headers=ops).json()["vision"]
    assert broken["ok"] is False and "no open_clip_config.json" in broken["error"]


def _file(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="image/png")
