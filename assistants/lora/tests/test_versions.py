"""Versions: the quality gate, override, roll back, delete, one job per tenant, cancel; API and pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from assistants.lora import services
from assistants.lora.models import Adapter, Event, Status
from assistants.lora.selectors import active_adapter, adapter_dir
from helpdesk.ai import GenerationRequest
from helpdesk.ai.providers.ollama import OllamaProvider

PAIRS = [{"question": f"How do I do thing {i}?", "answer": f"Open menu {i} and click Go."} for i in range(8)]


@pytest.fixture
def bot(acme, assistant_in):
    return assistant_in(acme)


def ready(assistant, number: int, before: float = 3.0, after: float = 1.0) -> Adapter:
    adapter = Adapter.objects.create(
        assistant=assistant,
        number=number,
        status=Status.READY,
        in_flight=False,
        metrics={"heldout_loss": {"before": before, "after": after}},
    )
    folder = adapter_dir(adapter)
    folder.mkdir(parents=True)
    (folder / "adapter_config.json").write_text("{}")
    return adapter


def test_gate_override_rollback_and_delete(acme, bot, manager, media_cleanup, django_capture_on_commit_callbacks):
    with tenant_context(acme):
        v1, v2, v3 = ready(bot, 1), ready(bot, 2), ready(bot, 3, before=3.0, after=2.9)
        services.adapter_activate(adapter=v1, by=manager)
        services.adapter_activate(adapter=v2, by=manager)
        with pytest.raises(ValidationError, match="at least 10% lower"):
            services.adapter_activate(adapter=v3, by=manager)
        assert active_adapter(bot) == v2
        services.adapter_activate(adapter=v3, by=manager, override=True, note="tone matters more")
        override = Event.objects.get(adapter=v3, action=Event.Action.OVERRIDE)
        assert override.by == manager and override.note == "tone matters more"
        assert services.adapter_rollback(assistant=bot, by=manager) == v2
        assert active_adapter(bot) == v2
        folder = adapter_dir(v2)
        with django_capture_on_commit_callbacks(execute=True):
            services.adapter_delete(adapter=v2, by=manager)
        bot.refresh_from_db()
        assert bot.adapter is None and not folder.exists()


def test_deleting_an_assistant_deletes_its_adapters_and_files(
    acme, bot, media_cleanup, django_capture_on_commit_callbacks
):
    with tenant_context(acme):
        folder = adapter_dir(ready(bot, 1))
        with django_capture_on_commit_callbacks(execute=True):
            bot.delete()
        assert not Adapter.objects.exists() and not folder.exists()


def test_files_live_under_the_tenants_media_folder(acme, bot, media_cleanup):
    with tenant_context(acme):
        folder = adapter_dir(ready(bot, 1))
    assert folder.is_relative_to(Path(settings.MEDIA_ROOT) / "acme" / "adapters" / str(bot.pk))


def test_one_job_per_tenant_and_cancel_of_a_queued_job(acme, bot, manager, assistant_in):
    other = assistant_in(acme, name="Sales")
    with tenant_context(acme):
        upload = SimpleUploadedFile("p.jsonl", "\n".join(json.dumps(p) for p in PAIRS).encode())
        first = services.adapter_request(assistant=bot, sources=[], upload=upload, by=manager)
        assert first.status == Status.QUEUED and first.number == 1
        assert (adapter_dir(first) / "upload.jsonl").exists()
        with pytest.raises(ValidationError, match="one job runs at a time"):
            services.adapter_request(assistant=other, sources=[{"kind": "knowledge"}], by=manager)
        services.adapter_cancel(adapter=first, by=manager)
        first.refresh_from_db()
        assert first.status == Status.CANCELLED and not first.in_flight
        second = services.adapter_request(assistant=other, sources=[{"kind": "knowledge"}], by=manager)
        assert second.number == 1 and second.assistant == other


API = "/api/v1/assistants/{}/adapters"


def test_api_trains_lists_reads_and_cancels(acme, bot, api_client, django_capture_on_commit_callbacks, media_cleanup):
    with django_capture_on_commit_callbacks() as callbacks:
        response = api_client.post(
            API.format(bot.pk),
            {"sources": ["knowledge"], "pairs": PAIRS, "hyperparameters": {"epochs": 2, "rank": 4}},
            "application/json",
        )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued" and body["version"] == "v1" and body["hyperparameters"]["epochs"] == 2
    assert [s["kind"] for s in body["sources"]] == ["knowledge", "upload"] and "path" not in body["sources"][1]
    assert len(callbacks) == 1  # the training task goes out after the commit
    listed = api_client.get(API.format(bot.pk) + "/").json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == body["id"]
    detail = api_client.get(f"{API.format(bot.pk)}/{body['id']}/").json()
    assert detail["progress"] == 0 and detail["eta_seconds"] is None
    busy = api_client.post(API.format(bot.pk), {"sources": ["knowledge"]}, "application/json")
    assert busy.status_code == 400 and "one job runs at a time" in busy.json()["detail"]
    cancelled = api_client.post(f"{API.format(bot.pk)}/{body['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    refused = api_client.post(f"{API.format(bot.pk)}/{body['id']}/activate", {}, "application/json")
    assert refused.status_code == 400 and "only a ready one" in refused.json()["detail"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"sources": ["tea-leaves"]}, "sources"),
        ({"sources": []}, "sources"),
        ({"sources": ["knowledge"], "hyperparameters": {"epochs": 999}}, "hyperparameters"),
        ({"pairs": [{"question": "Q?"}]}, "pairs"),
    ],
)
def test_api_rejects_bad_requests_with_the_reason(bot, api_client, payload, field):
    response = api_client.post(API.format(bot.pk), payload, "application/json")
    assert response.status_code == 400 and field in response.json()


def test_api_activate_with_override_is_recorded(acme, bot, api_client, media_cleanup):
    with tenant_context(acme):
        weak = ready(bot, 1, before=2.0, after=1.95)
    url = f"{API.format(bot.pk)}/{weak.pk}/activate"
    assert api_client.post(url, {}, "application/json").status_code == 400
    response = api_client.post(url, {"override": True, "note": "API says so"}, "application/json")
    assert response.status_code == 200 and response.json()["active"] is True
    with tenant_context(acme):
        assert Event.objects.get(adapter=weak, action=Event.Action.OVERRIDE).note == "API says so"
    rolled = api_client.post(f"{API.format(bot.pk)}/rollback").json()
    assert rolled == {"active": None}


def test_outsiders_get_404_everywhere(acme, bot, outsider_client, manager, media_cleanup):
    with tenant_context(acme):
        adapter = ready(bot, 1)
    base = API.format(bot.pk)
    for method, url in [
        ("get", base),
        ("post", base),
        ("get", f"{base}/{adapter.pk}/"),
        ("post", f"{base}/{adapter.pk}/activate"),
        ("post", f"{base}/{adapter.pk}/cancel"),
        ("post", f"{base}/{adapter.pk}/publish"),
        ("delete", f"{base}/{adapter.pk}/"),
        ("post", f"{base}/rollback"),
        ("get", f"/assistants/{bot.pk}/adapters/"),
        ("get", f"/assistants/{bot.pk}/adapters/new/"),
        ("get", f"/assistants/{bot.pk}/adapters/{adapter.pk}/"),
        ("get", f"/assistants/{bot.pk}/adapters/{adapter.pk}/progress/"),
        ("post", f"/assistants/{bot.pk}/adapters/{adapter.pk}/activate/"),
        ("post", f"/assistants/{bot.pk}/adapters/{adapter.pk}/delete/"),
        ("post", f"/assistants/{bot.pk}/adapters/rollback/"),
    ]:
        response = getattr(outsider_client, method)(url)
        assert response.status_code == 404, (method, url, response.status_code)
    with tenant_context(acme):
        assert Adapter.objects.filter(pk=adapter.pk).exists()


def test_agents_see_adapters_but_cannot_train(bot, agent_client):
    assert agent_client.get(f"/assistants/{bot.pk}/adapters/").status_code == 200
    assert agent_client.get(f"/assistants/{bot.pk}/adapters/new/").status_code == 403
    assert agent_client.post(API.format(bot.pk), {"sources": ["knowledge"]}, "application/json").status_code == 403


def test_manager_previews_then_starts_training_in_the_page(acme, bot, manager_client, media_cleanup):
    new = f"/assistants/{bot.pk}/adapters/new/"
    page = manager_client.get(new).content.decode()
    assert "Questions from the knowledge base" in page and "Preview the data" in page
    rows = "\n".join(json.dumps(p) for p in PAIRS) + "\n{broken\n"
    preview = manager_client.post(
        new, {"preview": "1", "upload": SimpleUploadedFile("p.jsonl", rows.encode()), **FORM}, HTTP_HX_REQUEST="true"
    )
    html = preview.content.decode()
    assert preview.status_code == 200 and "held out (never trained on)" in html
    assert "How do I do thing 1?" in html and "row 9: not valid JSON" in html
    start = manager_client.post(new, {"start": "1", "upload": SimpleUploadedFile("p.jsonl", rows.encode()), **FORM})
    with tenant_context(acme):
        adapter = Adapter.objects.get()
    assert start["Location"] == f"/assistants/{bot.pk}/adapters/{adapter.pk}/"
    detail = manager_client.get(start["Location"]).content.decode()
    assert "Waiting for the training worker" in detail and "every 2s" in detail
    empty = manager_client.post(new, {"start": "1", **FORM | {"sources": []}})
    assert empty.status_code == 422 and "Pick at least one source" in empty.content.decode()


FORM = {
    "sources": [],
    "epochs": 1,
    "learning_rate": 0.0003,
    "rank": 8,
    "alpha": 16,
    "target_modules": ["q_proj", "v_proj"],
    "batch_size": 4,
    "max_length": 256,
    "layers": 0,
}


def test_a_failed_publish_names_the_model_not_the_server(acme, bot, api_client, manager_client, media_cleanup):
    from tests.fakeweb import closed_port

    port = closed_port()
    host = f"http://opsuser:s3cr3t-pw@127.0.0.1:{port}"  # OLLAMA_HOST can carry credentials
    with tenant_context(acme):
        adapter = ready(bot, 1)
        (adapter_dir(adapter) / "adapter.gguf").write_bytes(b"GGUF" + b"\0" * 60)
        services.adapter_publish(adapter=adapter)
        services.adapter_publish_run(adapter_id=adapter.pk, host=host, base="smollm2:135m")
        note = adapter.events.get(action=Event.Action.PUBLISH_FAILED).note
    name = f"helpdesk-acme-{bot.pk}-v1"
    body = api_client.get(f"{API.format(bot.pk)}/{adapter.pk}/")
    page = manager_client.get(f"/assistants/{bot.pk}/adapters/{adapter.pk}/").content.decode()
    for shown in (body.content.decode(), page, note):
        assert "s3cr3t" not in shown and "opsuser" not in shown and f":{port}" not in shown, shown
    failed = body.json()
    assert failed["publishing"] == "failed" and "unreachable" in failed["publishing_error"]
    assert name in failed["publishing_error"] and name in note  # the model, so staff know which one
    assert "Publishing to Ollama failed" in page


def test_progress_shows_step_loss_eta_and_the_curve(acme, bot, manager_client, media_cleanup):
    with tenant_context(acme):
        adapter = Adapter.objects.create(
            assistant=bot,
            number=1,
            status=Status.RUNNING,
            step=3,
            total_steps=10,
            loss=1.234,
            seconds_per_step=2.0,
            loss_curve=[[1, 2.5], [2, 1.8], [3, 1.234]],
        )
    html = manager_client.get(f"/assistants/{bot.pk}/adapters/{adapter.pk}/progress/").content.decode()
    assert "Step <strong>3 / 10</strong>" in html and "loss <strong>1.234</strong>" in html
    assert "about 14 s left" in html and "<polyline" in html and "Training loss from 2.500 to 1.234" in html


def test_publish_to_ollama_creates_the_model_from_base_and_adapter(
    acme,
    bot,
    api_client,
    manager_client,
    fake_ollama_create,
    settings,
    media_cleanup,
    django_capture_on_commit_callbacks,
):
    settings.OLLAMA_HOST, settings.LORA_OLLAMA_BASE = fake_ollama_create.url, "smollm2:135m"
    with tenant_context(acme):
        adapter = ready(bot, 1)
    no_gguf = api_client.post(f"{API.format(bot.pk)}/{adapter.pk}/publish")
    assert no_gguf.status_code == 400 and "no llama.cpp (GGUF) copy" in no_gguf.json()["detail"]
    with tenant_context(acme):
        (adapter_dir(adapter) / "adapter.gguf").write_bytes(b"GGUF" + b"\0" * 60)
    with django_capture_on_commit_callbacks() as callbacks:
        response = api_client.post(f"{API.format(bot.pk)}/{adapter.pk}/publish")
    assert response.status_code == 202, response.content
    assert response.json()["publishing"] == "queued" and response.json()["ollama_model"] == ""
    assert len(callbacks) == 1 and not fake_ollama_create.requests  # the request only queued the work
    again = api_client.post(f"{API.format(bot.pk)}/{adapter.pk}/publish")
    assert again.status_code == 400 and "being published to Ollama already" in again.json()["detail"]
    page = manager_client.get(f"/assistants/{bot.pk}/adapters/{adapter.pk}/").content.decode()
    assert "Publishing to Ollama: waiting for a worker" in page and "part=publishing" in page

    with tenant_context(acme):  # what the worker's task runs, with the host and base of the request
        services.adapter_publish_run(adapter_id=adapter.pk, host=fake_ollama_create.url, base="smollm2:135m")
    name = f"helpdesk-acme-{bot.pk}-v1"
    body = api_client.get(f"{API.format(bot.pk)}/{adapter.pk}/").json()
    assert body["publishing"] == "done" and body["ollama_model"] == name
    blob = next(r for r in fake_ollama_create.requests if r[1].startswith("/api/blobs/"))
    assert blob[2] == 64
    create = next(r[2] for r in fake_ollama_create.requests if r[1] == "/api/create")
    assert create["model"] == name and create["from"] == "smollm2:135m"
    assert create["adapters"] == {"adapter.gguf": blob[1].removeprefix("/api/blobs/")}
    part = manager_client.get(f"/assistants/{bot.pk}/adapters/{adapter.pk}/?part=publishing").content.decode()
    assert name in part and "hx-trigger" not in part  # done: the page stops polling
    provider = OllamaProvider(host=fake_ollama_create.url, model="qwen2.5:3b")
    with tenant_context(acme):
        folder = str(adapter_dir(adapter))
    assert provider._model_for(GenerationRequest(messages=[], adapter=folder)) == name

    assert api_client.post(f"{API.format(bot.pk)}/{adapter.pk}/publish").status_code == 202
    with tenant_context(acme):
        services.adapter_publish_run(adapter_id=adapter.pk, host=fake_ollama_create.url, base="llama9")
        assert adapter.events.filter(action=Event.Action.PUBLISH_FAILED).exists()
    failed = api_client.get(f"{API.format(bot.pk)}/{adapter.pk}/").json()
    assert failed["publishing"] == "failed" and "model 'llama9' not found" in failed["publishing_error"]
    assert failed["ollama_model"] == name  # the earlier model is still there
    page = manager_client.get(f"/assistants/{bot.pk}/adapters/{adapter.pk}/").content.decode()
    assert "Publishing to Ollama failed" in page and "model &#x27;llama9&#x27; not found" in page
