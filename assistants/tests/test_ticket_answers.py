import json

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from assistants.models import TicketAnswer
from assistants.selectors import draft_final_pairs, ticket_question
from assistants.services.drafting import answer_for_ticket
from conftest import ACME_HOST, GLOBEX_HOST, login_client
from helpdesk.accounts.services import api_key_issue
from tickets.models import ReplyKind, Ticket


def test_question_is_subject_and_last_customer_message(acme, customer_ticket):
    with tenant_context(acme):
        asked = ticket_question(customer_ticket)
    assert asked.question == "Locked out\n\nHow do I reset my password?"
    assert [t.role for t in asked.history] == ["agent"]


def test_answer_is_stored_as_a_cited_ai_draft(acme, help_center, support_bot, customer_ticket):
    with tenant_context(acme):
        replies_before = Ticket.objects.get(pk=customer_ticket.pk).replies.count()
        stored = answer_for_ticket(ticket=customer_ticket)
        ticket = Ticket.objects.get(pk=customer_ticket.pk)
        draft = stored.draft
        assert draft is not None
        assert draft.kind == ReplyKind.AI_DRAFT and draft.author_name == "Support bot"
        assert "Reset password" in draft.body
        citation = stored.result["citations"][0]
        assert citation["document"] == "Reset your password"
        assert citation["chunk_id"] in set(help_center["Reset your password"].chunks.values_list("pk", flat=True))
        assert stored.result["request_type"] == "support"
        assert ticket.category == customer_ticket.category == ""  # only suggested: a click applies it
        assert ticket.replies.count() == replies_before + 1
        assert ticket.status == customer_ticket.status  # a draft changes nothing the customer sees


def test_without_an_assistant_the_reason_is_clear(acme, customer_ticket):
    from django.core.exceptions import ValidationError

    with tenant_context(acme), pytest.raises(ValidationError, match="No assistant is set up"):
        answer_for_ticket(ticket=customer_ticket)


def stream_events(response):
    raw = b"".join(response.streaming_content).decode()
    return [
        (block.split("\n")[0].removeprefix("event: "), json.loads(block.split("\n")[1].removeprefix("data: ")))
        for block in raw.strip().split("\n\n")
    ]


def test_panel_suggests_streams_and_shows_the_draft(acme, agent_client, help_center, support_bot, customer_ticket):
    number = customer_ticket.number
    empty = agent_client.get(f"/assistants/tickets/{number}/panel/").content.decode()
    assert "No AI suggestion for this ticket yet" in empty and "Suggest reply" in empty
    placeholder = agent_client.post(f"/assistants/tickets/{number}/suggest/", HTTP_HX_REQUEST="true").content.decode()
    stream_url = placeholder.split('data-stream="')[1].split('"')[0].replace("&amp;", "&")
    events = stream_events(agent_client.get(stream_url))
    assert events[-1][0] == "done" and len(events) > 2
    html = events[-1][1]["html"]
    assert "Insert into reply" in html
    assert "Reset your password" in html  # the cited document, linked
    assert "type: support" in html and "priority: normal" in html
    assert "Escalate" not in html
    again = agent_client.get(f"/assistants/tickets/{number}/panel/").content.decode()
    assert "Suggest again" in again


def test_complaint_shows_the_escalation_badge(acme, agent_client, help_center, support_bot):
    from tickets.services import contact_ensure, ticket_create

    with tenant_context(acme):
        contact = contact_ensure(email="angry@customer.test")
        ticket = ticket_create(
            subject="Terrible service", requester=contact, by=contact, description="I am furious, nobody answers me!"
        )
        answer_for_ticket(ticket=ticket)
    html = agent_client.get(f"/assistants/tickets/{ticket.number}/panel/").content.decode()
    assert "Escalate" in html and "complaint requests always go to a person" in html


def test_thumbs_and_suggestions_apply(acme, agent, agent_client, help_center, support_bot, customer_ticket):
    with tenant_context(acme):
        stored = answer_for_ticket(ticket=customer_ticket)
    number = customer_ticket.number
    response = agent_client.post(f"/assistants/tickets/{number}/answers/{stored.pk}/feedback/", {"helpful": "0"})
    assert 'aria-pressed="true"' in response.content.decode()
    response = agent_client.post(
        f"/assistants/tickets/{number}/answers/{stored.pk}/apply/tags/", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 204 and response["HX-Refresh"] == "true"
    with tenant_context(acme):
        stored.refresh_from_db()
        assert (stored.feedback, stored.feedback_by_id) == (-1, agent.pk)
        assert "support" in set(Ticket.objects.get(pk=customer_ticket.pk).tags.values_list("name", flat=True))
    bad = agent_client.post(f"/assistants/tickets/{number}/answers/{stored.pk}/apply/status/")
    assert b"Unknown suggestion" in bad.content


def test_final_reply_is_paired_with_the_draft(acme, agent, help_center, support_bot, customer_ticket):
    from tickets.services import reply_add

    with tenant_context(acme):
        stored = answer_for_ticket(ticket=customer_ticket)
        final = reply_add(ticket=customer_ticket, body="Open Settings > Security and reset it there.", by=agent)
        assert [(a.pk, r.pk) for a, r in draft_final_pairs()] == [(stored.pk, final.pk)]


def test_ticket_answer_api(acme, globex, help_center, support_bot, customer_ticket):
    with tenant_context(acme):
        key = api_key_issue(name="crm").raw_key
    response = Client(HTTP_HOST=ACME_HOST, headers={"Authorization": f"Api-Key {key}"}).post(
        f"/api/v1/tickets/{customer_ticket.number}/answer"
    )
    body = response.json()
    assert response.status_code == 201, body
    assert body["ticket"] == customer_ticket.number and body["citations"][0]["document"] == "Reset your password"
    assert {"text", "request_type", "confidence", "priority", "tags", "escalate", "reasons", "provider"} <= set(body)
    with tenant_context(acme):
        assert TicketAnswer.objects.filter(pk=body["id"], draft_id=body["draft_reply"]).exists()
    with tenant_context(globex):
        other = api_key_issue(name="crm").raw_key
    response = Client(HTTP_HOST=GLOBEX_HOST, headers={"Authorization": f"Api-Key {other}"}).post(
        f"/api/v1/tickets/{customer_ticket.number}/answer"
    )
    assert response.status_code == 404


@pytest.mark.parametrize("suffix", ["panel/", "suggest/", "stream/", "answers/1/feedback/", "answers/1/apply/tags/"])
def test_outsider_gets_404_on_every_panel_url(globex, outsider, customer_ticket, suffix):
    client = login_client(globex, outsider, GLOBEX_HOST)
    method = client.get if suffix in ("panel/", "stream/") else client.post
    assert method(f"/assistants/tickets/{customer_ticket.number}/{suffix}").status_code == 404


def test_the_ai_never_sets_or_overwrites_a_category_on_its_own(acme, help_center, support_bot, customer_ticket, agent):
    from tickets.services import ticket_update

    with tenant_context(acme):
        seen_by_the_ai = Ticket.objects.get(pk=customer_ticket.pk)  # loaded before the (slow) generation
        ticket_update(ticket=Ticket.objects.get(pk=customer_ticket.pk), by=agent, category="billing")
        answer_for_ticket(ticket=seen_by_the_ai)
        ticket = Ticket.objects.get(pk=customer_ticket.pk)
        assert ticket.category == "billing"
        assert not ticket.events.filter(field="category", actor_name="Support bot").exists()
        ticket_update(ticket=ticket, by=agent, category="")
        answer_for_ticket(ticket=ticket)
        assert Ticket.objects.get(pk=ticket.pk).category == ""  # an empty one stays empty: the chip suggests it
        assert not ticket.events.filter(field="category", actor_name="Support bot").exists()
