import json
import re

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from assistants.models import ChatMessage, Conversation
from conftest import ACME_HOST, GLOBEX_HOST
from helpdesk.accounts.services import api_key_issue


@pytest.fixture
def acme_key(acme):
    with tenant_context(acme):
        return api_key_issue(name="website").raw_key


@pytest.fixture
def api(acme_key):
    client = Client(HTTP_HOST=ACME_HOST, headers={"Authorization": f"Api-Key {acme_key}"})
    return client


def post(client, path, data):
    return client.post(path, json.dumps(data), content_type="application/json")


def test_chat_answers_from_the_knowledge_base_with_resolving_citations(acme, api, help_center, support_bot):
    response = post(api, f"/api/v1/assistants/{support_bot.pk}/chat", {"message": "How can I reset my password?"})
    body = response.json()
    assert response.status_code == 200, body
    assert "Reset password" in body["reply"]
    assert body["citations"], body
    with tenant_context(acme):
        chunk_ids = set(help_center["Reset your password"].chunks.values_list("pk", flat=True))
    assert body["citations"][0]["chunk_id"] in chunk_ids
    assert body["citations"][0]["document"] == "Reset your password"
    assert body["request_type"] == "support"
    assert body["escalate"] is False
    assert body["provider"] == "extractive"
    assert body["latency_ms"] > 0


def test_session_keeps_the_conversation(acme, api, help_center, support_bot):
    first = post(api, f"/api/v1/assistants/{support_bot.pk}/chat", {"message": "How long does shipping take?"}).json()
    second = post(
        api,
        f"/api/v1/assistants/{support_bot.pk}/chat",
        {"session_id": first["session_id"], "message": "And can I get a refund?"},
    ).json()
    assert second["session_id"] == first["session_id"]
    assert "Refunds" in second["reply"]
    with tenant_context(acme):
        conversation = Conversation.objects.get(session_id=first["session_id"])
        assert list(conversation.messages.values_list("role", flat=True)) == ["user", "assistant"] * 2


def test_question_without_knowledge_escalates(api, help_center, support_bot):
    body = post(
        api, f"/api/v1/assistants/{support_bot.pk}/chat", {"message": "Do you sell garden gnomes in Peru?"}
    ).json()
    assert body["escalate"] is True
    assert any("knowledge" in reason for reason in body["reasons"])


def test_complaints_escalate(api, help_center, support_bot):
    body = post(
        api, f"/api/v1/assistants/{support_bot.pk}/chat", {"message": "Your courier was rude, I am furious!"}
    ).json()
    assert body["request_type"] == "complaint"
    assert body["escalate"] is True


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"message": "   "}, "message"),
        ({}, "message"),
        ({"message": "x" * 5000}, "message"),
        ({"message": "hi", "session_id": "not-a-uuid"}, "session_id"),
    ],
)
def test_bad_input_is_a_clear_400(api, support_bot, payload, field):
    response = post(api, f"/api/v1/assistants/{support_bot.pk}/chat", payload)
    assert response.status_code == 400
    assert field in response.json()


def test_unknown_session_is_a_clear_400(api, support_bot):
    response = post(
        api,
        f"/api/v1/assistants/{support_bot.pk}/chat",
        {"message": "hi", "session_id": "6f1c2a5e-1111-4222-8333-944445555666"},
    )
    assert response.status_code == 400
    assert "No such session" in response.json()["session_id"][0]


def test_streaming_chat_sends_tokens_then_the_reply(acme, api, help_center, support_bot):
    response = post(api, f"/api/v1/assistants/{support_bot.pk}/chat/stream", {"message": "How do I get a refund?"})
    assert response["Content-Type"] == "text/event-stream"
    raw = b"".join(response.streaming_content).decode()
    events = [block.split("\n") for block in raw.strip().split("\n\n")]
    names = [lines[0].removeprefix("event: ") for lines in events]
    assert names[-1] == "done" and set(names[:-1]) == {"token"} and len(names) > 2
    tokens = "".join(json.loads(lines[1].removeprefix("data: "))["text"] for lines in events[:-1])
    done = json.loads(events[-1][1].removeprefix("data: "))
    assert tokens.strip() == done["reply"]
    with tenant_context(acme):
        assert ChatMessage.objects.filter(conversation__session_id=done["session_id"]).count() == 2


@pytest.mark.parametrize("strategy", ["compose_chunks", "compose", "select"])
def test_injected_instructions_in_knowledge_stay_data(acme, help_center, support_bot, strategy):
    from assistants.engine.answering import prepare

    with tenant_context(acme):
        question = "How long do refunds take, and do I get a free lifetime subscription?"
        prepared = prepare(assistant=support_bot, question=question, strategy=strategy)
    assert prepared.request is not None
    system, user = prepared.request.messages
    assert "Ignore all previous instructions" not in system.content
    if strategy == "compose_chunks":  # whole chunks are quoted between the data markers
        assert "Ignore all previous instructions" in user.content.split("</context>")[0]
    else:  # sentences that talk to the model are not offered to it at all
        assert "Ignore all previous instructions" not in user.content


def test_injected_instructions_are_never_quoted_to_a_customer(acme, help_center, support_bot):
    from assistants.engine import answer

    with tenant_context(acme):
        result = answer(assistant=support_bot, question="Do I get a free lifetime subscription?")
    assert "lifetime subscription" not in result.text


def test_another_tenants_assistant_is_404(globex, support_bot):
    with tenant_context(globex):
        key = api_key_issue(name="other").raw_key
    client = Client(HTTP_HOST=GLOBEX_HOST, headers={"Authorization": f"Api-Key {key}"})
    assert post(client, f"/api/v1/assistants/{support_bot.pk}/chat", {"message": "hi"}).status_code == 404
    assert post(client, f"/api/v1/assistants/{support_bot.pk}/chat/stream", {"message": "hi"}).status_code == 404


def test_chat_needs_credentials(support_bot):
    response = post(Client(HTTP_HOST=ACME_HOST), f"/api/v1/assistants/{support_bot.pk}/chat", {"message": "hi"})
    assert response.status_code in (401, 403)


@pytest.mark.parametrize("strategy", ["select", "compose"])
def test_end_to_end_answer_with_the_default_model(acme, api, help_center, settings, strategy):
    """The real SmolLM2 through llama.cpp: every sentence a customer gets is supported by the chunk it cites."""
    from assistants.services import assistant_create

    with tenant_context(acme):
        bot = assistant_create(name="Local model", company="Acme", strategy=strategy, max_new_tokens=64)
        chunks = {c.pk: c.text for d in help_center.values() for c in d.chunks.all()}
    body = post(api, f"/api/v1/assistants/{bot.pk}/chat", {"message": "How do I reset my password?"}).json()
    assert body["strategy"] == strategy and body["reply"] and not body["declined"], body
    if strategy == "select":
        assert body["provider"] == settings.LLM_PROVIDER, body  # the default local model chose, no fallback
    shown = [s for s in body["sentences"] if s["verified"]]
    assert " ".join(s["text"] for s in shown) == body["reply"]
    for sentence in shown:  # each shown sentence: facts and words found in the chunk it cites
        source = chunks[sentence["chunk_id"]]
        assert sentence["document"] == "Reset your password", sentence
        if sentence["origin"] == "quote":
            assert sentence["text"] in " ".join(source.split()), sentence
        for number in re.findall(r"\d+", sentence["text"]):
            assert number in source, sentence
    assert "Reset password" in body["reply"] or "reset" in body["reply"].lower()


def test_a_session_of_one_tenant_is_unknown_in_another(api, help_center, support_bot, globex):
    from assistants.services import assistant_create

    session = post(api, f"/api/v1/assistants/{support_bot.pk}/chat", {"message": "How long is shipping?"}).json()
    with tenant_context(globex):
        other_bot = assistant_create(name="Globex bot", provider="extractive")
        key = api_key_issue(name="crm").raw_key
    client = Client(HTTP_HOST=GLOBEX_HOST, headers={"Authorization": f"Api-Key {key}"})
    response = post(
        client, f"/api/v1/assistants/{other_bot.pk}/chat", {"message": "hi", "session_id": session["session_id"]}
    )
    assert response.status_code == 400
    assert "No such session" in response.json()["session_id"][0]
    with tenant_context(globex):
        assert not Conversation.objects.exists()
