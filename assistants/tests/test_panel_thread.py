"""The AI panel and the ticket's thread: a new draft joins the thread, a new suggestion replaces the unsent one,
closed tickets get no suggestion, and the tenant's canned replies that fit are offered."""

from __future__ import annotations

from django_tenants.utils import tenant_context

from assistants.services.drafting import answer_for_ticket
from assistants.tests.test_ticket_answers import stream_events
from tickets.models import Macro, ReplyKind
from tickets.services import reply_add, ticket_transition


def suggest(client, number: int) -> dict:
    placeholder = client.post(f"/assistants/tickets/{number}/suggest/", HTTP_HX_REQUEST="true").content.decode()
    stream_url = placeholder.split('data-stream="')[1].split('"')[0].replace("&amp;", "&")
    event, data = stream_events(client.get(stream_url))[-1]
    assert event == "done"
    return data


def test_the_new_draft_joins_the_thread_and_replaces_the_unsent_one(
    acme, agent, agent_client, help_center, support_bot, customer_ticket
):
    first = suggest(agent_client, customer_ticket.number)
    with tenant_context(acme):
        [draft] = customer_ticket.replies.filter(kind=ReplyKind.AI_DRAFT)
    assert first["remove"] == []
    assert f'<article id="reply-{draft.pk}" class="reply reply-ai_draft' in first["append"]["thread"]
    second = suggest(agent_client, customer_ticket.number)
    with tenant_context(acme):
        [newer] = customer_ticket.replies.filter(kind=ReplyKind.AI_DRAFT)
    assert newer.pk != draft.pk and second["remove"] == [f"reply-{draft.pk}"]  # replaced, not stacked
    # Once an agent has sent a reply, the draft before it is history and stays.
    with tenant_context(acme):
        reply_add(ticket=customer_ticket, body="Open Settings > Security.", by=agent)
    third = suggest(agent_client, customer_ticket.number)
    assert third["remove"] == []
    with tenant_context(acme):
        assert customer_ticket.replies.filter(kind=ReplyKind.AI_DRAFT).count() == 2


def test_closed_tickets_get_no_suggestion(acme, agent, agent_client, help_center, support_bot, customer_ticket):
    with tenant_context(acme):
        answer_for_ticket(ticket=customer_ticket)
        ticket_transition(ticket=customer_ticket, status="closed", by=agent)
    html = agent_client.get(f"/assistants/tickets/{customer_ticket.number}/panel/").content.decode()
    assert "Suggest again" not in html and "Insert into reply" not in html
    refused = agent_client.post(f"/assistants/tickets/{customer_ticket.number}/suggest/").content.decode()
    assert "This ticket is closed" in refused and "data-stream" not in refused


def test_the_panel_offers_canned_replies_that_fit(acme, agent_client, support_bot, customer_ticket):
    with tenant_context(acme):
        Macro.objects.create(
            name="Password reset", body="Hi {customer_name}, open Settings > Security and click Reset password."
        )
        Macro.objects.create(name="Shipping times", body="Parcels leave our warehouse within two days.")
    html = agent_client.get(f"/assistants/tickets/{customer_ticket.number}/panel/").content.decode()
    assert "Canned replies that fit" in html
    assert "Insert “Password reset”" in html and "Hi Pat, open Settings" in html
    assert "Shipping times" not in html
