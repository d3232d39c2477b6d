import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from conftest import ACME_HOST, login_client, make_user
from tests import samples
from tickets import services
from tickets.models import Reply, Ticket, TicketEvent

HX = {"HX-Request": "true"}


def rows(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr id="ticket-(\d+)"', html)]


def test_queue_lists_tickets_with_status_priority_and_tags(agent_client, make_ticket):
    ticket = make_ticket("Printer on fire", priority="urgent", tags=["hardware"])
    html = agent_client.get("/tickets/").content.decode()
    assert rows(html) == [ticket.number]
    assert "Printer on fire" in html and ">Urgent<" in html and ">New<" in html and ">hardware<" in html
    assert '<form id="filters"' in html  # a full page


def test_filter_change_returns_only_the_rows(agent_client, make_ticket):
    make_ticket("Invoice wrong", priority="low")
    urgent = make_ticket("Server down", priority="urgent")
    response = agent_client.get("/tickets/?priority=urgent", headers=HX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="rows">')
    assert "<html" not in html and 'id="filters"' not in html
    assert rows(html) == [urgent.number]


def test_filters_status_assignee_tag_and_full_text(agent_client, make_ticket, agent, manager):
    refund = make_ticket("Refund for duplicate charge", description="Charged twice", tags=["billing"])
    login = make_ticket("Cannot log in", description="Password reset mails never arrive", assignee=agent)
    mine_solved = make_ticket("Old question", assignee=agent)
    services.ticket_transition(ticket=mine_solved, status="solved", by=agent)
    theirs = make_ticket("Dark mode please", assignee=manager)

    def numbers(query: str) -> list[int]:
        return sorted(rows(agent_client.get(f"/tickets/?{query}").content.decode()))

    assert numbers("assignee=me") == sorted([login.number, mine_solved.number])
    assert numbers("assignee=unassigned") == [refund.number]
    assert numbers(f"assignee={manager.pk}") == [theirs.number]
    assert numbers("status=solved") == [mine_solved.number]
    assert numbers("status=unresolved") == sorted([refund.number, login.number, theirs.number])
    assert numbers("tag=billing") == [refund.number]
    assert numbers("q=charged") == [refund.number]  # stemmed full text over the description
    assert numbers("q=password+reset") == [login.number]
    hx_rows = agent_client.get(f"/tickets/?q=%23{theirs.number}", headers=HX).content.decode()
    assert rows(hx_rows) == [theirs.number]  # typing a number filters to it
    assert numbers("q=nothing+like+this") == []


def test_saved_views(agent_client, make_ticket, agent, sla):
    from datetime import timedelta

    mine = make_ticket("Mine", assignee=agent)
    unassigned = make_ticket("Nobody's")
    late = make_ticket("Late", priority="urgent", assignee=agent)
    Ticket.objects.filter(pk=late.pk).update(first_response_due_at=late.created_at - timedelta(minutes=1))

    def numbers(view: str) -> list[int]:
        return sorted(rows(agent_client.get(f"/tickets/?view={view}").content.decode()))

    assert numbers("my_open") == sorted([mine.number, late.number])
    assert numbers("unassigned") == [unassigned.number]
    assert numbers("breaching") == [late.number]


def test_sorting_and_pagination_keep_the_filters(agent_client, make_ticket, settings):
    settings.TICKETS_PAGE_SIZE = 5
    tickets = [make_ticket(f"T{i}", priority="urgent" if i == 3 else "normal") for i in range(12)]
    first = agent_client.get("/tickets/?status=new").content.decode()
    assert rows(first) == [t.number for t in reversed(tickets)][:5]
    assert "Page 1 of 3" in first and 'href="?status=new&amp;page=2"' in first
    third = agent_client.get("/tickets/?status=new&page=3", headers=HX).content.decode()
    assert rows(third) == [tickets[1].number, tickets[0].number]
    by_priority = agent_client.get("/tickets/?sort=-priority").content.decode()
    assert rows(by_priority)[0] == tickets[3].number
    oldest = agent_client.get("/tickets/?sort=created").content.decode()
    assert rows(oldest)[0] == tickets[0].number


def test_empty_states(agent_client, make_ticket):
    assert "No tickets yet" in agent_client.get("/tickets/").content.decode()
    make_ticket()
    html = agent_client.get("/tickets/?q=zebra").content.decode()
    assert "No tickets match these filters" in html and "Clear the filters" in html


@pytest.mark.parametrize("size", [5, 40])
def test_queue_runs_a_fixed_number_of_queries(agent_client, make_ticket, size, settings, django_assert_max_num_queries):
    settings.TICKETS_PAGE_SIZE = size
    for i in range(size):
        make_ticket(f"T{i}", tags=["a", f"t{i}"], assignee=None)
    # 10 statements (tenant, session, user, 2 permission sets, count, agents, tags, rows, row tags), each
    # preceded by django-tenants' SET search_path.
    with django_assert_max_num_queries(20):
        response = agent_client.get("/tickets/?status=unresolved&q=printer")
    assert len(rows(response.content.decode())) == size


def test_queue_queries_do_not_grow_with_the_page(agent_client, make_ticket, settings, agent):
    def count(size: int) -> int:
        settings.TICKETS_PAGE_SIZE = size
        with CaptureQueriesContext(connection) as ctx:
            assert len(rows(agent_client.get("/tickets/").content.decode())) == size
        return len(ctx.captured_queries)

    for i in range(30):
        make_ticket(f"T{i}", tags=[f"t{i}"], assignee=agent)
    assert count(5) == count(30)


def test_bulk_actions(agent_client, make_ticket, agent):
    a, b, c = make_ticket("A"), make_ticket("B"), make_ticket("C")
    response = agent_client.post(
        "/tickets/bulk/",
        {"numbers": [a.number, b.number], "action": "assign", "assignee": agent.pk, "query": "status=new"},
    )
    assert response.status_code == 302 and response["Location"] == "/tickets/?status=new"
    assert set(Ticket.objects.filter(assignee=agent).values_list("number", flat=True)) == {a.number, b.number}
    html = agent_client.post(
        "/tickets/bulk/",
        {"numbers": [a.number, c.number], "action": "status", "status": "pending", "query": "status=pending"},
        headers=HX,
    ).content.decode()
    assert html.lstrip().startswith('<div id="rows">')
    assert "Updated 2 ticket(s)." in html and sorted(rows(html)) == sorted([a.number, c.number])
    agent_client.post("/tickets/bulk/", {"numbers": [b.number], "action": "tag", "tag": "VIP"})
    assert [t.name for t in Ticket.objects.get(pk=b.pk).tags.all()] == ["vip"]


def test_bulk_explains_what_is_missing_and_refused(agent_client, make_ticket, agent):
    closed = make_ticket("Closed")
    services.ticket_transition(ticket=closed, status="closed", by=agent)
    html = agent_client.post("/tickets/bulk/", {"action": "status", "status": "open"}, follow=True).content.decode()
    assert "Select tickets." in html
    html = agent_client.post(
        "/tickets/bulk/", {"numbers": [closed.number], "action": "status", "status": "open"}, follow=True
    ).content.decode()
    assert f"#{closed.number}: A closed ticket cannot become open" in html


def test_ticket_page_shows_header_thread_audit_and_ai_slot(agent_client, sla, ticket, agent):
    services.reply_add(ticket=ticket, body="<script>alert(1)</script> We are on it", by=agent)
    html = agent_client.get(f"/tickets/{ticket.number}/").content.decode()
    assert f"#{ticket.number} Printer on fire" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; We are on it" in html and "<script>alert(1)" not in html
    assert 'id="ai-panel"' in html and f'hx-get="/assistants/tickets/{ticket.number}/panel/"' in html
    assert 'id="events"' in html and "created the ticket" in html and "replied" in html
    assert "First response:" in html and "sent" in html and "Resolution:" in html and "due in" in html
    assert "/portal/t/" in html  # the customer's signed link for the agent to share


def test_sla_partial_refreshes_alone(agent_client, sla, ticket):
    html = agent_client.get(f"/tickets/{ticket.number}/?partial=sla", headers=HX).content.decode()
    assert html.strip().startswith('<p id="sla"') and "due in" in html and "<html" not in html


def test_inline_edit_swaps_the_header_and_the_audit_trail(agent_client, ticket, agent):
    response = agent_client.post(f"/tickets/{ticket.number}/update/", {"status": "pending"}, headers=HX)
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="ticket-header"')
    assert 'id="events" class="events" hx-swap-oob="true"' in html and "changed status" in html
    ticket.refresh_from_db()
    assert ticket.status == "pending"
    agent_client.post(f"/tickets/{ticket.number}/update/", {"assignee": agent.pk}, headers=HX)
    agent_client.post(f"/tickets/{ticket.number}/update/", {"tags": "printer, Hardware"}, headers=HX)
    ticket.refresh_from_db()
    assert ticket.assignee == agent and ticket.status == "pending"  # one field at a time
    assert [t.name for t in ticket.tags.all()] == ["hardware", "printer"]


def test_inline_edit_explains_a_refused_transition(agent_client, ticket, agent):
    services.ticket_transition(ticket=ticket, status="closed", by=agent)
    html = agent_client.post(f"/tickets/{ticket.number}/update/", {"status": "open"}, headers=HX).content.decode()
    assert 'role="alert">A closed ticket cannot become open' in html
    response = agent_client.post(f"/tickets/{ticket.number}/update/", {"priority": "urgent"}, follow=True)
    assert "Ticket updated." in response.content.decode()


def test_reply_appends_without_reload_and_updates_header(agent_client, ticket, media_root):
    upload = samples.png()
    response = agent_client.post(
        f"/tickets/{ticket.number}/reply/", {"kind": "public", "body": "Fixed it", "attachments": [upload]}, headers=HX
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<article id="reply-')
    assert "Fixed it" in html and "screen.png" in html
    assert 'id="ticket-header" class="ticket-header" hx-swap-oob="true"' in html  # status became open
    assert "thread-empty" not in html  # the empty state hides by CSS: no out-of-band target to miss
    reply = Reply.objects.get()
    download = agent_client.get(f"/tickets/{ticket.number}/attachments/{reply.attachments.get().pk}/")
    assert download["Content-Disposition"] == 'attachment; filename="screen.png"'
    assert b"".join(download.streaming_content) == samples.png_bytes()


def test_reply_errors_keep_the_text(agent_client, ticket):
    upload = SimpleUploadedFile("virus.exe", b"MZ")
    response = agent_client.post(
        f"/tickets/{ticket.number}/reply/",
        {"kind": "internal_note", "body": "My long note", "attachments": [upload]},
        headers=HX,
    )
    html = response.content.decode()
    assert response["HX-Retarget"] == "#reply-form" and response["HX-Reswap"] == "outerHTML"
    assert "not allowed" in html and "My long note" in html
    assert not Reply.objects.exists()
    plain = agent_client.post(f"/tickets/{ticket.number}/reply/", {"kind": "public", "body": ""})
    assert plain.status_code == 400 and "This field is required." in plain.content.decode()


def test_reply_without_javascript_redirects_back(agent_client, ticket):
    response = agent_client.post(f"/tickets/{ticket.number}/reply/", {"kind": "internal_note", "body": "Note"})
    assert response.status_code == 302 and response["Location"] == f"/tickets/{ticket.number}/"
    assert Reply.objects.get().kind == "internal_note"


def test_new_ticket_form(agent_client, agent, in_acme):
    assert agent_client.get("/tickets/new/").status_code == 200
    bad = agent_client.post("/tickets/new/", {"requester_email": "not-an-email", "subject": ""})
    html = bad.content.decode()
    assert bad.status_code == 400 and "Enter a valid email address." in html and 'value="not-an-email"' in html
    response = agent_client.post(
        "/tickets/new/",
        {
            "requester_email": "Ann@Example.com",
            "requester_name": "Ann",
            "subject": "Broken link",
            "description": "The docs link 404s",
            "priority": "high",
            "assignee": agent.pk,
            "tags": "docs, web",
        },
    )
    ticket = Ticket.objects.get()
    assert response["Location"] == f"/tickets/{ticket.number}/"
    assert (ticket.requester.email, ticket.priority, ticket.assignee, ticket.channel) == (
        "ann@example.com",
        "high",
        agent,
        "web",
    )
    assert TicketEvent.objects.get().actor == agent


def test_dashboard_shows_counts_chart_sla_and_csat(agent_client, make_ticket, agent, contact):
    make_ticket("Open one", priority="urgent")
    solved = make_ticket("Solved one")
    services.reply_add(ticket=solved, body="Done", by=agent)
    services.ticket_transition(ticket=solved, status="solved", by=agent)
    services.ticket_rate(ticket=solved, contact=contact, rating=4)
    html = agent_client.get("/").content.decode()
    assert "Welcome, alice" in html
    assert re.search(r'status=unresolved">1</a>', html)  # open tickets
    assert "<svg" in html and "2 tickets created and 1 solved in the last 30 days" in html
    assert "4.0/5" in html and "1 rating" in html
    assert "Median first response" in html and "0m" in html


def test_user_without_role_sees_no_tickets(acme):
    user = make_user(acme, "norole@acme.test", "agent")
    with tenant_context(acme):
        user.groups.clear()
    client = login_client(acme, user, ACME_HOST)
    assert client.get("/tickets/").status_code == 403
    html = client.get("/").content.decode()
    assert "Welcome" in html and "<svg" not in html


def test_anonymous_is_sent_to_login(acme_client):
    response = acme_client.get("/tickets/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_every_ticket_page_answers_404_to_another_tenant(outsider_client, acme, ticket, agent, media_root):
    reply = services.note_add(
        ticket=ticket, body="x", by=agent, files=[SimpleUploadedFile("a.txt", b"secret", content_type="text/plain")]
    )
    attachment = reply.attachments.get()
    n = ticket.number
    for method, url in [
        ("get", f"/tickets/{n}/"),
        ("get", f"/tickets/{n}/?partial=sla"),
        ("post", f"/tickets/{n}/update/"),
        ("post", f"/tickets/{n}/reply/"),
        ("get", f"/tickets/{n}/attachments/{attachment.pk}/"),
    ]:
        response = getattr(outsider_client, method)(url, {"status": "closed", "body": "x"} if method == "post" else {})
        assert response.status_code == 404, url
    html = outsider_client.get("/tickets/").content.decode()
    assert rows(html) == []
    outsider_client.post("/tickets/bulk/", {"numbers": [n], "action": "status", "status": "closed"})
    with tenant_context(acme):
        assert Ticket.objects.get(number=n).status == "new"


def test_due_sort_leaves_solved_and_closed_last_and_headers_sort(agent_client, make_ticket, agent, sla):
    import datetime as dt

    from django.utils import timezone

    soon, later, solved, closed = (make_ticket(name) for name in ("soon", "later", "solved", "closed"))
    now = timezone.now()
    for ticket, hours in ((soon, 1), (later, 5), (solved, -10), (closed, -20)):
        Ticket.objects.filter(pk=ticket.pk).update(resolution_due_at=now + dt.timedelta(hours=hours))
    services.ticket_transition(ticket=solved, status="solved", by=agent)
    services.ticket_transition(ticket=closed, status="closed", by=agent)
    html = agent_client.get("/tickets/?sort=due").content.decode()
    assert rows(html)[:2] == [soon.number, later.number] and set(rows(html)[2:]) == {solved.number, closed.number}
    assert 'aria-sort="ascending"' in html  # the Due header shows the sort
    latest = agent_client.get("/tickets/?sort=-due").content.decode()
    assert rows(latest)[:2] == [later.number, soon.number]
    assert "sort=-due" in html  # its next click reverses it


def test_page_size_choice(agent_client, make_ticket):
    for i in range(30):
        make_ticket(f"T{i}")
    assert len(rows(agent_client.get("/tickets/").content.decode())) == 25
    assert len(rows(agent_client.get("/tickets/?per_page=50").content.decode())) == 30
    assert len(rows(agent_client.get("/tickets/?per_page=7").content.decode())) == 25  # only the offered sizes
    first = Ticket.objects.get(subject="T0")
    assert agent_client.get(f"/tickets/?q=%23{first.number}")["Location"] == f"/tickets/{first.number}/"
    assert rows(agent_client.get("/tickets/?q=%23999999").content.decode()) == []  # unknown number: the list says so
