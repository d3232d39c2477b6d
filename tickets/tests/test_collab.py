"""Working on tickets together: followers, CC, merging duplicates, canned replies, collision notices."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client
from django_tenants.utils import tenant_context

from conftest import ACME_HOST, login_client, make_user
from tickets import links, services
from tickets.admin import MacroAdminForm
from tickets.models import Macro, Reply, Ticket, TicketEvent

HX = {"HX-Request": "true"}


@pytest.fixture
def colleague(acme):
    return make_user(acme, "bob@acme.test", "agent")


@pytest.fixture
def colleague_client(acme, colleague) -> Client:
    return login_client(acme, colleague, ACME_HOST)


def test_follow_and_unfollow(agent_client, agent, ticket):
    html = agent_client.post(f"/tickets/{ticket.number}/follow/", {"follow": "1"}, headers=HX).content.decode()
    assert list(ticket.followers.all()) == [agent]
    assert "Following: alice" in html and "Stop following" in html
    agent_client.post(f"/tickets/{ticket.number}/follow/", {"follow": "0"})
    assert not ticket.followers.exists()


def test_cc_is_validated_and_the_cc_can_open_and_answer_the_status_page(agent_client, agent, ticket, clean_cache):
    bad = agent_client.post(f"/tickets/{ticket.number}/cc/", {"cc": "boss@northwind.example, nope"}, headers=HX)
    assert "Not an e-mail address: nope." in bad.content.decode() and not ticket.cc.exists()
    agent_client.post(f"/tickets/{ticket.number}/cc/", {"cc": "Boss@Northwind.example; dana@northwind.example"})
    boss = ticket.cc.get()
    assert boss.email == "boss@northwind.example"  # the requester herself is not copied
    assert TicketEvent.objects.filter(ticket=ticket, field="cc").get().new_value == "boss@northwind.example"
    portal = Client(HTTP_HOST=ACME_HOST)
    path = links.portal_path(ticket, boss)
    page = portal.get(path).content.decode()
    assert ticket.subject in page and "How did we do?" not in page  # only the requester rates
    portal.post(f"{path}reply/", {"body": "Any news?"})
    assert Reply.objects.get().author_contact == boss
    services.ticket_cc_set(ticket=ticket, emails="", by=agent)
    assert portal.get(path).status_code == 404  # removed from CC: the link stops working


def test_merge_moves_request_and_thread_keeps_the_requester_and_closes_the_duplicate(
    agent_client, agent, make_ticket, contact, media_root
):
    from tests import samples

    original = make_ticket("Printer on fire", description="Smoke!")
    other = services.contact_ensure(email="lee@northwind.example", name="Lee")
    duplicate = make_ticket("Printer burning", description="It smells", requester=other, files=[samples.png()])
    services.reply_add(ticket=duplicate, body="On our way", by=agent)
    old_link = links.portal_path(duplicate)
    response = agent_client.post(f"/tickets/{duplicate.number}/merge/", {"target": f"#{original.number}"})
    assert response["Location"] == f"/tickets/{original.number}/"
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into) == ("closed", original)
    thread = list(original.replies.order_by("created_at", "pk"))
    assert "It smells" in thread[0].body and thread[0].author_contact == other
    assert thread[0].attachments.get().filename == "screen.png"
    assert thread[1].body == "On our way"
    assert list(original.cc.all()) == [other]
    assert TicketEvent.objects.get(ticket=original, field="merged").new_value == duplicate.reference
    assert TicketEvent.objects.get(ticket=duplicate, field="merged_into").new_value == original.reference
    detail = agent_client.get(f"/tickets/{duplicate.number}/").content.decode()
    assert "Merged into" in detail and 'id="reply-form"' not in detail
    # The duplicate's links are revoked; its requester follows the original with a link of their own.
    assert Client(HTTP_HOST=ACME_HOST).get(old_link).status_code == 404
    assert Client(HTTP_HOST=ACME_HOST).get(links.portal_path(original, other)).status_code == 200


def test_merge_refusals(agent_client, agent, make_ticket):
    a, b = make_ticket("A"), make_ticket("B")
    with pytest.raises(ValidationError, match="into itself"):
        services.ticket_merge(source=a, target=a, by=agent)
    services.ticket_transition(ticket=b, status="closed", by=agent)
    with pytest.raises(ValidationError, match="is closed"):
        services.ticket_merge(source=a, target=b, by=agent)
    page = agent_client.post(f"/tickets/{a.number}/merge/", {"target": "999999"}, follow=True).content.decode()
    assert "There is no ticket #999999 to merge into." in page
    assert Ticket.objects.get(pk=a.pk).merged_into is None


def test_canned_reply_fills_placeholders_and_applies_its_actions(agent_client, agent, ticket):
    macro = Macro.objects.create(
        name="Solved: restart",
        body="Hi {customer_name}, restarting fixed {ticket_number}. {agent_name}",
        set_status="solved",
        add_tags="restart, printer",
    )
    page = agent_client.get(f"/tickets/{ticket.number}/").content.decode()
    assert f"Hi Dana Whitaker, restarting fixed #{ticket.number}. alice" in page  # ready to insert
    agent_client.post(
        f"/tickets/{ticket.number}/reply/",
        {"kind": "public", "body": "Hi Dana, restarting fixed it.", "macro": macro.pk},
        headers=HX,
    )
    ticket.refresh_from_db()
    assert ticket.status == "solved"
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["printer", "restart"]


def test_canned_reply_placeholders_are_checked(in_acme):
    form = MacroAdminForm({"name": "Bad", "body": "Hi {customer}", "is_active": True})
    assert not form.is_valid() and "Unknown placeholder {customer}" in str(form.errors["body"])
    form = MacroAdminForm({"name": "Good", "body": "Hi {customer_name}", "is_active": True})
    assert form.is_valid()


def test_agents_see_each_other_and_what_changed(agent_client, colleague_client, colleague, ticket, agent):
    cache.clear()
    seen = agent_client.get(f"/tickets/{ticket.number}/presence/?seen=0").content.decode()
    assert "also viewing" not in seen
    first_events = ticket.events.order_by("-pk").first().pk
    html = colleague_client.get(f"/tickets/{ticket.number}/presence/?seen={first_events}").content.decode()
    assert "alice is also viewing this ticket." in html
    assert (
        "bob is also viewing this ticket." in agent_client.get(f"/tickets/{ticket.number}/presence/").content.decode()
    )
    services.reply_add(ticket=ticket, body="I'm on it", by=agent)
    html = colleague_client.get(f"/tickets/{ticket.number}/presence/?seen={first_events}").content.decode()
    assert "Changed since you opened it" in html and "replied" in html
    cache.clear()


def test_a_reply_on_a_ticket_that_changed_says_so_before_sending(colleague_client, colleague, agent, ticket):
    page = colleague_client.get(f"/tickets/{ticket.number}/").content.decode()
    seen = ticket.events.order_by("-pk").first().pk
    assert f'name="seen" value="{seen}"' in page
    services.reply_add(ticket=ticket, body="Already answered", by=agent)
    url = f"/tickets/{ticket.number}/reply/"
    warned = colleague_client.post(url, {"kind": "public", "body": "My answer", "seen": seen}, headers=HX)
    html = warned.content.decode()
    assert warned["HX-Retarget"] == "#reply-form"
    assert "This ticket changed since you opened it" in html and "alice" in html and "My answer" in html
    assert 'id="thread" class="thread" aria-label="Conversation" hx-swap-oob="true"' in html
    assert "Already answered" in html  # the new reply is shown to check
    assert Reply.objects.filter(author_user=colleague).count() == 0
    fresh_seen = ticket.events.order_by("-pk").first().pk
    assert f'name="seen" value="{fresh_seen}"' in html
    colleague_client.post(url, {"kind": "public", "body": "My answer", "seen": fresh_seen}, headers=HX)
    assert Reply.objects.filter(author_user=colleague).get().body == "My answer"


def test_own_changes_and_the_sla_monitor_are_no_collision(agent_client, agent, ticket):
    seen = ticket.events.order_by("-pk").first().pk
    services.ticket_update(ticket=ticket, priority="high", by=agent)
    TicketEvent.objects.create(ticket=ticket, actor_name="SLA monitor", field="sla_resolution", new_value="breached")
    agent_client.post(f"/tickets/{ticket.number}/reply/", {"kind": "public", "body": "Done", "seen": seen}, headers=HX)
    assert Reply.objects.get().body == "Done"


def test_closed_ticket_has_no_reply_form(agent_client, agent, ticket):
    services.ticket_transition(ticket=ticket, status="closed", by=agent)
    html = agent_client.get(f"/tickets/{ticket.number}/").content.decode()
    assert 'id="reply-form"' not in html and "This ticket is closed" in html


def test_audit_trail_and_badges_read_as_words(agent_client, agent, ticket, contact):
    TicketEvent.objects.create(ticket=ticket, actor_name="SLA monitor", field="sla_resolution", new_value="breached")
    services.ticket_update(ticket=ticket, status="on_hold", by=agent)
    services.reply_add(ticket=ticket, body="Still broken", by=contact)
    html = agent_client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "marked the Resolution SLA breached" in html and "sla_resolution" not in html
    assert "to <em>On hold</em>" in html
    customer = html[html.index("Still broken") - 600 : html.index("Still broken")]
    assert "Customer</span>" in customer and "Public reply" not in customer


def test_times_show_in_the_agents_time_zone(agent_client, agent, ticket):
    from helpdesk.accounts.services import profile_update

    profile = agent_client.get("/accounts/profile/").content.decode()
    assert "Asia/Tokyo" in profile
    response = agent_client.post("/accounts/profile/", {"full_name": "Alice", "timezone": "Asia/Tokyo"})
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.timezone == "Asia/Tokyo"
    html = agent_client.get(f"/tickets/{ticket.number}/").content.decode()
    tokyo = ticket.created_at.astimezone(ZoneInfo("Asia/Tokyo"))
    assert f"{tokyo:%Y-%m-%d %H:%M} (Asia/Tokyo)" in html
    bad = agent_client.post("/accounts/profile/", {"full_name": "Alice", "timezone": "Mars/Olympus"})
    assert bad.status_code == 400 and "Select a valid choice" in bad.content.decode()
    with pytest.raises(ValidationError):
        profile_update(user=agent, full_name="A", timezone="Mars/Olympus")


def test_collaboration_pages_answer_404_to_another_tenant(outsider_client, acme, ticket):
    with tenant_context(acme):
        n = ticket.number
    for method, path in [("post", "follow/"), ("post", "cc/"), ("post", "merge/"), ("get", "presence/")]:
        response = getattr(outsider_client, method)(f"/tickets/{n}/{path}", {"target": n, "cc": "x@y.example"})
        assert response.status_code == 404, path
