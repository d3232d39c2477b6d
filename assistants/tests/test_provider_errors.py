"""A failing model provider is named to tenant staff by its model, never by its server.

OLLAMA_HOST can carry credentials (``http://user:secret@host``); the AI panel, the playground and
the API show provider errors to tenant staff, so none of them may repeat the URL.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from conftest import ACME_HOST
from helpdesk.accounts.services import api_key_issue
from tests.fakeweb import closed_port

SECRET = "s3cr3t-pw"


def leaks(text: str, port: int) -> list[str]:
    return [piece for piece in (SECRET, "opsuser", f"127.0.0.1:{port}", f":{port}") if piece in text]


@pytest.fixture
def unreachable_ollama(acme, settings, help_center):
    from assistants.services import assistant_create, assistant_set_default

    port = closed_port()
    settings.OLLAMA_HOST, settings.OLLAMA_MODEL = f"http://opsuser:{SECRET}@127.0.0.1:{port}", "qwen2.5:3b"
    with tenant_context(acme):
        bot = assistant_create(name="Remote", company="Acme", provider="ollama", strategy="compose")
        assistant_set_default(assistant=bot)
    return bot, port


def streamed(response) -> str:
    return b"".join(response.streaming_content).decode()


def sse_data(response) -> list[dict]:
    blocks = streamed(response).strip().split("\n\n")
    return [json.loads(block.split("\n")[1].removeprefix("data: ")) for block in blocks]


def test_the_ai_panel_names_the_model_not_the_server(agent_client, unreachable_ollama, customer_ticket):
    _, port = unreachable_ollama
    number = customer_ticket.number
    placeholder = agent_client.post(f"/assistants/tickets/{number}/suggest/", HTTP_HX_REQUEST="true").content.decode()
    stream_url = placeholder.split('data-stream="')[1].split('"')[0].replace("&amp;", "&")
    html = sse_data(agent_client.get(stream_url))[-1]["html"]
    assert "this draft quotes the knowledge base" in html and "qwen2.5:3b" in html and "unreachable" in html
    assert leaks(html, port) == []
    panel = agent_client.get(f"/assistants/tickets/{number}/panel/").content.decode()  # the stored draft
    assert "qwen2.5:3b" in panel and leaks(panel, port) == []


def test_the_playground_names_the_model_not_the_server(agent_client, unreachable_ollama):
    bot, port = unreachable_ollama
    turn = agent_client.post(
        f"/assistants/{bot.pk}/playground/ask/", {"message": "How do I reset my password?"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    stream_url = turn.split('data-stream="')[1].split('"')[0].replace("&amp;", "&")
    done = json.dumps(sse_data(agent_client.get(stream_url))[-1])
    assert "qwen2.5:3b" in done and "unreachable" in done and leaks(done, port) == []
    page = agent_client.get(f"/assistants/{bot.pk}/playground/").content.decode()
    assert leaks(page, port) == []


def test_the_api_shows_no_server_either(acme, unreachable_ollama, customer_ticket):
    bot, port = unreachable_ollama
    with tenant_context(acme):
        key = api_key_issue(name="crm").raw_key
    client = Client(HTTP_HOST=ACME_HOST, headers={"Authorization": f"Api-Key {key}"})
    chat = client.post(
        f"/api/v1/assistants/{bot.pk}/chat", json.dumps({"message": "How do I reset my password?"}), "application/json"
    )
    body = chat.json()
    assert chat.status_code == 200 and body["fallback_from"] == "ollama", body
    assert leaks(chat.content.decode(), port) == []
    stream = client.post(
        f"/api/v1/assistants/{bot.pk}/chat/stream", json.dumps({"message": "How long is shipping?"}), "application/json"
    )
    events = streamed(stream)
    assert "ollama" in events and leaks(events, port) == []
    drafted = client.post(f"/api/v1/tickets/{customer_ticket.number}/answer")
    assert drafted.status_code == 201 and leaks(drafted.content.decode(), port) == []
