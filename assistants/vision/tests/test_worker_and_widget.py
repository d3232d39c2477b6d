"""End to end with a real Celery worker: every image attachment is read after commit; widget screenshots too."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client
from django_tenants.utils import tenant_context

from assistants.models import WidgetKey
from assistants.services import assistant_create
from assistants.vision.models import AttachmentAnalysis
from assistants.vision.tests.conftest import upload
from conftest import ACME_HOST
from knowledge.tests.conftest import wait_for
from tickets import services as tickets
from tickets.models import Channel, Ticket


@pytest.fixture
def acme(committed):
    """The tenant, without the `db` fixture's transaction: the worker must see committed rows."""
    from helpdesk.tenants.models import Tenant

    return Tenant.objects.get(schema_name="acme")


@pytest.fixture
def stored_files(acme):
    """Files the worker must read live in the real MEDIA_ROOT (it is another process); removed afterwards."""
    files: list = []
    yield files
    with tenant_context(acme):
        for file in files:
            file.storage.delete(file.name)


def _ticket_text(acme, pk: int) -> str:
    with tenant_context(acme):
        return Ticket.objects.get(pk=pk).attachment_text


def _analysis_done(acme, attachment_id: int) -> bool:
    with tenant_context(acme):
        return AttachmentAnalysis.objects.filter(attachment_id=attachment_id, status="done").exists()


def test_the_worker_reads_every_new_image_attachment(acme, celery_worker, payment_png, stored_files):
    with tenant_context(acme):
        contact = tickets.contact_ensure(email="dana@example.com")
        ticket = tickets.ticket_create(subject="Help", requester=contact, by=contact, channel=Channel.PORTAL)
        reply = tickets.reply_add(
            ticket=ticket,
            body="Screenshot attached",
            by=contact,
            files=[upload("shot.png", payment_png), upload("notes.txt", b"hello", "text/plain")],
        )
        image, text = reply.attachments.order_by("id")
        stored_files.extend([image.file, text.file])
    wait_for(lambda: _analysis_done(acme, image.pk), timeout=120)
    wait_for(lambda: _ticket_text(acme, ticket.pk) != "", timeout=10)  # written right after the analysis
    with tenant_context(acme):
        analysis = AttachmentAnalysis.objects.get(attachment_id=image.pk)
        assert analysis.category == "payment_problem" and analysis.error_codes == ["0x80070005"]
        assert "declined" in Ticket.objects.get(pk=ticket.pk).attachment_text
        assert not AttachmentAnalysis.objects.filter(attachment_id=text.pk).exists()


def test_widget_screenshots_become_ticket_attachments_that_get_read(acme, celery_worker, payment_png, stored_files):
    with tenant_context(acme):
        assistant = assistant_create(name="Helper", provider="extractive")
        key = WidgetKey.objects.create(assistant=assistant, allowed_origins=["https://shop.example"])
    client = Client(HTTP_HOST=ACME_HOST, HTTP_ORIGIN="https://shop.example")
    refused = client.post(
        "/assistants/widget/escalate",
        {"key": key.key, "email": "v@example.com", "files": [upload("a.txt", b"hi", "text/plain")]},
    )
    assert refused.status_code == 400 and "only images" in refused.json()["detail"]
    response = client.post(
        "/assistants/widget/escalate",
        {"key": key.key, "email": "v@example.com", "files": [upload("s.png", payment_png)]},
    )
    assert response.status_code == 200, response.content
    assert response["Access-Control-Allow-Origin"] == "https://shop.example"
    body = response.json()
    assert body["attached"] == 1
    with tenant_context(acme):
        ticket = Ticket.objects.get(number=int(body["ticket"].lstrip("#")))
        assert ticket.channel == Channel.CHAT and ticket.subject == "Screenshot from the website chat"
        attachment = ticket.replies.get().attachments.get()
        stored_files.append(attachment.file)
        assert ticket.replies.get().author_contact == ticket.requester
    wait_for(lambda: _analysis_done(acme, attachment.pk), timeout=120)


def test_torchvision_beside_cpu_torch_breaks_no_model_library():
    """In a fresh interpreter, as web, worker and commands start: the product's imports all work."""
    modules = ["transformers", "sentence_transformers", "open_clip", "timm", "torchvision.transforms"]
    if __import__("importlib").util.find_spec("peft") is not None:
        modules.append("peft")
    code = (
        "import helpdesk, importlib, json\n"
        f"mods = {modules!r}\n"
        "for m in mods: importlib.import_module(m)\n"
        "from transformers import PreTrainedModel\n"
        "from helpdesk import torchvision_shim\n"
        "print(json.dumps({'status': torchvision_shim.status(), 'ok': mods}))\n"
    )
    env = {"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "helpdesk.settings_test"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=settings.BASE_DIR, env=env, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["status"] in {"shimmed", "loaded"} and out["ok"] == modules
