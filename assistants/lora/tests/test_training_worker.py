"""End to end on the real Celery worker: knowledge → API → `training` queue → adapter → chat uses it."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from assistants.lora.models import Adapter, Event
from assistants.lora.selectors import adapter_dir
from conftest import ACME_HOST
from knowledge import services as kb
from knowledge.demo import ARTICLES

API = "/api/v1/assistants/{}/adapters"


@pytest.fixture
def db(committed):
    """Committed rows (named `db` so that acme, the assistant… commit too): the worker must see them."""
    return


def wait(client: Client, url: str, timeout: float = 1500) -> dict:
    deadline = time.monotonic() + timeout
    seen_running = False
    while time.monotonic() < deadline:
        state = client.get(url).json()
        seen_running |= state["status"] == "running" and state["step"] > 0
        if state["status"] in {"ready", "failed", "cancelled"}:
            state["seen_running"] = seen_running
            return state
        time.sleep(1)
    raise AssertionError(f"training did not finish within {timeout} s: {state}")


def test_a_manager_trains_from_the_knowledge_base_and_the_chat_answers_with_it(
    acme, assistant_in, api_client, celery_worker, media_cleanup
):
    with tenant_context(acme):
        for article in ARTICLES[:3]:
            document = kb.document_create_from_text(title=article["title"], text=article["text"], enqueue=False)
            kb.document_index(document_id=document.pk)
    bot = assistant_in(acme, provider="llamacpp", max_new_tokens=32, temperature=0.0)
    created = api_client.post(
        API.format(bot.pk),
        {
            "sources": ["knowledge"],
            "hyperparameters": {"epochs": 2, "learning_rate": 0.001, "max_length": 256, "batch_size": 4},
        },
        "application/json",
    )
    assert created.status_code == 202, created.content
    state = wait(api_client, f"{API.format(bot.pk)}/{created.json()['id']}/")
    assert state["status"] == "ready", state["error"]
    assert state["seen_running"]  # progress was visible while it trained
    assert state["step"] == state["total_steps"] > 0 and len(state["loss_curve"]) == state["step"]
    losses = state["metrics"]["heldout_loss"]
    assert losses["after"] < losses["before"]
    assert state["data"]["train"] > 0 and state["data"]["heldout"] > 0
    assert state["size_bytes"] > 100_000 and state["gguf_size_bytes"] > 100_000, state["gguf_error"]
    answers = state["metrics"]["answers"]
    assert answers["engine"] == "llamacpp" and answers["questions"] == 2 and answers["adapter_applied"] == 2
    assert set(answers["similarity"]) == {"before", "after"}
    with tenant_context(acme):
        adapter = Adapter.objects.get()
        files = adapter_dir(adapter)
        assert (files / "adapter.gguf").exists() and (files / "data" / "heldout.jsonl").exists()
        events = set(adapter.events.values_list("action", flat=True))
    assert events & {Event.Action.AUTO_ACTIVATED, Event.Action.NOT_ACTIVATED}
    if not state["active"]:  # the gate said no: a manager overrides, and it is recorded
        activated = api_client.post(
            f"{API.format(bot.pk)}/{adapter.pk}/activate", {"override": True}, "application/json"
        )
        assert activated.status_code == 200
    reply = api_client.post(
        f"/api/v1/assistants/{bot.pk}/chat", {"message": "How do I reset my password?"}, "application/json"
    ).json()
    assert reply["adapter"] == "v1" and reply["provider"] == "llamacpp"
    client = Client(HTTP_HOST=ACME_HOST)
    assert client.get(f"{API.format(bot.pk)}/").status_code == 401


def test_publishing_to_ollama_runs_on_the_worker(acme, assistant_in, api_client, celery_worker, fake_ollama_create,
                                                 settings, media_cleanup):  # fmt: skip
    from assistants.lora.tests.conftest import install

    settings.OLLAMA_HOST, settings.LORA_OLLAMA_BASE = fake_ollama_create.url, "smollm2:135m"
    bot = assistant_in(acme)
    with tenant_context(acme):
        files = adapter_dir(Adapter(assistant=bot, number=99, folder="scratch"))
        files.mkdir(parents=True)
        (files / "adapter_config.json").write_text("{}")
        (files / "adapter.gguf").write_bytes(b"GGUF" + b"\0" * 60)
        adapter = install(files, bot, activate=False)
    response = api_client.post(f"{API.format(bot.pk)}/{adapter.pk}/publish")
    assert response.status_code == 202 and response.json()["publishing"] == "queued"
    deadline = time.monotonic() + 60
    while (body := api_client.get(f"{API.format(bot.pk)}/{adapter.pk}/").json())["publishing"] in {"queued", "running"}:
        assert time.monotonic() < deadline, body
        time.sleep(0.5)
    assert body["publishing"] == "done", body["publishing_error"]
    assert body["ollama_model"] == f"helpdesk-acme-{bot.pk}-v1"
    assert any(path == "/api/create" for _, path, _ in fake_ollama_create.requests)
