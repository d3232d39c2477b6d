"""Answers end to end: only verified sentences reach a reader, whatever the model writes.

A hostile model is an Ollama server (the fake in conftest speaks Ollama's HTTP API)
that streams a draft with an invented number, an invented step, prompt markup and a
flipped negation; every surface must show the verified sentences only.
"""

import json

from django.test import Client
from django_tenants.utils import tenant_context

from assistants.engine import Answer, answer, answer_stream
from assistants.tests.conftest import BAD_WORDS
from conftest import ACME_HOST
from helpdesk.accounts.services import api_key_issue


def streamed_events(response):
    raw = b"".join(response.streaming_content).decode()
    return [block.split("\n") for block in raw.strip().split("\n\n")]


def collect(events):
    pieces = [e for e in events if isinstance(e, str)]
    final = [e for e in events if isinstance(e, Answer)]
    assert len(final) == 1
    return pieces, final[0]


def test_the_stream_carries_verified_sentences_only(acme, hostile_bot):
    with tenant_context(acme):
        pieces, result = collect(list(answer_stream(assistant=hostile_bot, question="How do I reset my password?")))
    streamed = "".join(pieces)
    assert streamed == result.text  # what streamed is exactly the final answer
    assert "click Reset password" in streamed
    for bad in BAD_WORDS:
        assert bad not in streamed
    assert len(pieces) == len(result.verified)  # one piece per verified sentence
    reasons = {s.original or s.text: s.reason for s in result.sentences if s.reason}
    assert any("48" in reason for reason in reasons.values()), reasons
    assert any("Google" in reason for reason in reasons.values()), reasons
    assert any("markup" in reason for reason in reasons.values()), reasons
    assert any("negation" in reason for reason in reasons.values()), reasons
    assert {c.document for c in result.citations} == {"Reset your password"}
    assert result.provider == "ollama" and result.strategy == "compose" and not result.declined
    assert "48 hours" in result.model_text  # the raw draft is kept for the playground's inspector only


def test_grammar_constrained_selection_sends_a_schema_and_quotes_the_chosen_sentence(acme, hostile_bot, fake_ollama):
    fake_ollama.stream_pieces = ['{"facts": [', "1", "]}"]
    with tenant_context(acme):
        result = answer(assistant=hostile_bot, question="How long are refunds?", strategy="select")
    sent = fake_ollama.requests[-1]
    assert sent["format"]["properties"]["facts"]["items"]["type"] == "integer"
    assert result.strategy == "select" and result.provider == "ollama"
    assert [s.origin for s in result.sentences] == ["quote"]
    assert "Refunds" in result.text and result.citations[0].document == "Refund policy"


def test_when_nothing_verifies_the_answer_is_extractive_and_says_why(acme, hostile_bot, fake_ollama):
    fake_ollama.stream_pieces = ["Open Google Chrome and clear your cookies.", " Then call 0800 123 456."]
    with tenant_context(acme):
        result = answer(assistant=hostile_bot, question="How do I reset my password?")
    assert (result.provider, result.fallback_from) == ("extractive", "ollama")
    assert "could be verified" in (result.error or "")
    assert "Reset password" in result.text and "Google" not in result.text


def test_a_question_the_knowledge_base_cannot_answer_is_declined_in_the_assistants_language(acme, help_center):
    from assistants.services import assistant_create

    with tenant_context(acme):
        bot = assistant_create(name="Hilfe", company="Acme", provider="extractive", language="de")
        pieces, result = collect(list(answer_stream(assistant=bot, question="Who is the chief executive of Acme?")))
    assert result.declined and result.escalate
    assert result.text.startswith("Das steht leider nicht in unseren Hilfeartikeln")
    assert "".join(pieces) == result.text and result.citations == []
    assert any("knowledge" in reason for reason in result.reasons)


def test_chat_api_marks_unverified_sentences_and_replies_with_verified_ones(acme, hostile_bot):
    with tenant_context(acme):
        key = api_key_issue(name="crm").raw_key
    client = Client(HTTP_HOST=ACME_HOST, headers={"Authorization": f"Api-Key {key}"})
    response = client.post(
        f"/api/v1/assistants/{hostile_bot.pk}/chat",
        json.dumps({"message": "How do I reset my password?"}),
        content_type="application/json",
    )
    body = response.json()
    assert response.status_code == 200, body
    assert all(bad not in body["reply"] for bad in BAD_WORDS)
    verified = [s for s in body["sentences"] if s["verified"]]
    unverified = [s for s in body["sentences"] if not s["verified"]]
    assert " ".join(s["text"] for s in verified) == body["reply"]
    assert unverified and all(s["reason"] for s in unverified)
    assert all(s["chunk_id"] and s["document"] == "Reset your password" for s in verified)
    stream = client.post(
        f"/api/v1/assistants/{hostile_bot.pk}/chat/stream",
        json.dumps({"message": "How do I reset my password?"}),
        content_type="application/json",
    )
    events = streamed_events(stream)
    tokens = "".join(json.loads(e[1].removeprefix("data: "))["text"] for e in events if e[0] == "event: token")
    assert tokens == json.loads(events[-1][1].removeprefix("data: "))["reply"]
    assert all(bad not in tokens for bad in BAD_WORDS)


def test_the_widget_shows_a_visitor_verified_text_only(acme, hostile_bot):
    from assistants.services import widget_key_create

    with tenant_context(acme):
        key = widget_key_create(assistant=hostile_bot, allowed_origins=["https://www.acme.example"])
    response = Client(HTTP_HOST=ACME_HOST).post(
        "/assistants/widget/chat",
        json.dumps({"key": key.key, "message": "How do I reset my password?"}),
        content_type="application/json",
        headers={"Origin": "https://www.acme.example"},
    )
    body = response.json()
    assert response.status_code == 200, body
    assert "Reset password" in body["reply"] and all(bad not in json.dumps(body) for bad in BAD_WORDS)
    assert body["sentences"] and all(s["verified"] for s in body["sentences"])
    assert all("reason" not in s and "original" not in s for s in body["sentences"])


def test_the_panel_streams_verified_text_and_marks_what_failed(acme, agent_client, hostile_bot, customer_ticket):
    number = customer_ticket.number
    placeholder = agent_client.post(f"/assistants/tickets/{number}/suggest/", HTTP_HX_REQUEST="true").content.decode()
    stream_url = placeholder.split('data-stream="')[1].split('"')[0].replace("&amp;", "&")
    events = streamed_events(agent_client.get(stream_url))
    tokens = "".join(json.loads(e[1].removeprefix("data: "))["text"] for e in events if e[0] == "event: token")
    assert "click Reset password" in tokens and all(bad not in tokens for bad in BAD_WORDS)
    html = json.loads(events[-1][1].removeprefix("data: "))["html"]
    insert = html.split('data-text="')[1].split('"')[0]
    assert insert.startswith("Hello Pat,") and "click Reset password" in insert
    assert all(bad not in insert for bad in ("48 hours", "Google", "[1]", "&lt;context&gt;"))
    assert "failed verification" in html and "<del>" in html and "Google Chrome" in html  # marked, not inserted
    assert "[1] Reset your password" in html  # the citation sits beside its sentence


def test_the_draft_is_a_plain_reply_with_citations_as_configured(acme, help_center, support_bot, customer_ticket):
    from assistants.services.drafting import answer_for_ticket

    with tenant_context(acme):

        def draft_body() -> str:
            draft = answer_for_ticket(ticket=customer_ticket).draft
            assert draft is not None
            return draft.body

        body = draft_body()
        assert body.startswith("Hello Pat,\n\n") and body.endswith("just reply to this message.")
        assert "Reset password" in body and "[1]" not in body and "**" not in body and "#" not in body
        support_bot.citation_style = "inline"
        support_bot.save()
        inline = draft_body()
        assert "click Reset password. [1]" in inline
        support_bot.citation_style, support_bot.tone = "sources", "concise"
        support_bot.save()
        listed = draft_body()
        assert not listed.startswith("Hello") and listed.endswith("Sources: [1] Reset your password")


def test_an_uncertain_request_type_is_shown_as_such_and_changes_nothing(acme, agent_client, support_bot):
    from assistants.models import TicketAnswer
    from tickets.services import contact_ensure, ticket_create

    with tenant_context(acme):
        contact = contact_ensure(email="sam@customer.test")
        ticket = ticket_create(subject="Hmm", requester=contact, by=contact, description="Something about my thing")
        result = answer(assistant=support_bot, question="Something about my thing").as_dict()
        result |= {"request_type": "complaint", "confidence": 0.41, "request_type_certain": False}
        stored = TicketAnswer.objects.create(ticket=ticket, assistant=support_bot, result=result)
    html = agent_client.get(f"/assistants/tickets/{ticket.number}/panel/").content.decode()
    assert "type: uncertain (complaint? 0.41)" in html
    with tenant_context(acme):
        ticket.refresh_from_db()
        assert ticket.category == ""  # nothing applied on its own
    response = agent_client.post(
        f"/assistants/tickets/{ticket.number}/answers/{stored.pk}/apply/category/", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 204
    with tenant_context(acme):
        ticket.refresh_from_db()
        assert ticket.category == "complaint"  # one click applies it anyway


def test_the_engine_answers_with_the_adapter_its_registered_resolver_names(acme, hostile_bot, monkeypatch):
    from assistants.engine import registry
    from assistants.engine.answering import prepare

    asked = []

    def resolver(assistant):
        asked.append(assistant.pk)
        return "/adapters/acme/v7", "v7"

    monkeypatch.setattr(registry, "_adapter_resolver", None)  # restored after the test
    assert registry.adapter_for(hostile_bot) == ("", "")  # no plug-in: the base model
    registry.register_adapter_resolver(resolver)
    with tenant_context(acme):
        served = prepare(assistant=hostile_bot, question="How do I reset my password?")
        base = prepare(assistant=hostile_bot, question="How do I reset my password?", adapter="")
    assert served.request is not None and (served.request.adapter, served.adapter_label) == ("/adapters/acme/v7", "v7")
    assert base.request is not None and (base.request.adapter, base.adapter_label) == ("", "")
    assert asked == [hostile_bot.pk]  # an explicit adapter ("" = the base model) is not resolved
