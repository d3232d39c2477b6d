from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tickets import metrics, services
from tickets.models import Attachment, Reply, ReplyKind, Status, Ticket, TicketEvent

ALL = [s.value for s in Status]
ALLOWED = {
    ("new", "open"), ("new", "pending"), ("new", "on_hold"), ("new", "solved"), ("new", "closed"),
    ("open", "pending"), ("open", "on_hold"), ("open", "solved"), ("open", "closed"),
    ("pending", "open"), ("pending", "on_hold"), ("pending", "solved"), ("pending", "closed"),
    ("on_hold", "open"), ("on_hold", "pending"), ("on_hold", "solved"), ("on_hold", "closed"),
    ("solved", "open"), ("solved", "closed"),
}  # fmt: skip


@pytest.mark.parametrize("current", ALL)
@pytest.mark.parametrize("target", ALL)
def test_transition_rules(current, target):
    if current == target or (current, target) in ALLOWED:
        services.transition_check(current, target)
    else:
        with pytest.raises(ValidationError, match="cannot become"):
            services.transition_check(current, target)


def test_unknown_status_is_refused():
    with pytest.raises(ValidationError, match="Unknown status"):
        services.transition_check("new", "archived")


def test_create_numbers_tickets_per_tenant_and_sets_sla(make_ticket, sla, agent):
    first = make_ticket(priority="urgent", tags=["Billing", "VIP", "billing"], assignee=agent)
    second = make_ticket("Second")
    assert second.number == first.number + 1
    assert first.reference == f"#{first.number}"
    assert first.status == Status.NEW
    assert first.first_response_due_at - first.created_at == pytest.approx(
        timedelta(minutes=30), abs=timedelta(seconds=2)
    )
    assert first.resolution_due_at - first.created_at == pytest.approx(timedelta(minutes=240), abs=timedelta(seconds=2))
    assert sorted(t.name for t in first.tags.all()) == ["billing", "vip"]
    event = first.events.get()
    assert (event.field, event.new_value, event.actor_name) == (
        "created",
        first.reference,
        "Customer dana@northwind.example",
    )


def test_numbers_are_independent_between_tenants(make_ticket, globex):
    from django_tenants.utils import tenant_context

    def globex_ticket() -> Ticket:
        with tenant_context(globex):
            contact = services.contact_ensure(email="x@globex.example")
            return services.ticket_create(subject="Hi", requester=contact, by=None)

    first = globex_ticket()
    acme_numbers = [make_ticket().number for _ in range(3)]
    assert globex_ticket().number == first.number + 1
    assert acme_numbers == list(range(acme_numbers[0], acme_numbers[0] + 3))


def test_create_validates_input(contact):
    with pytest.raises(ValidationError) as exc:
        services.ticket_create(subject="  ", requester=contact, priority="asap", by=None)
    assert set(exc.value.message_dict) == {"subject", "priority"}


def test_update_records_one_event_per_changed_field(ticket, agent, sla):
    events = services.ticket_update(
        ticket=ticket, by=agent, status="open", priority="high", assignee=agent, tags=["refund"], category="Billing"
    )
    assert {e.field for e in events} == {"status", "priority", "assignee", "tags", "category"}
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.assignee, ticket.category) == ("open", "high", agent, "Billing")
    assert ticket.resolution_due_at - ticket.created_at == pytest.approx(
        timedelta(minutes=1440), abs=timedelta(seconds=2)
    )
    status_event = TicketEvent.objects.get(ticket=ticket, field="status")
    assert (status_event.old_value, status_event.new_value, status_event.actor) == ("new", "open", agent)
    # unchanged values write nothing
    assert services.ticket_update(ticket=ticket, by=agent, status="open", tags=["Refund"]) == []


def test_invalid_transition_saves_nothing(ticket, agent):
    services.ticket_transition(ticket=ticket, status="closed", by=agent)
    with pytest.raises(ValidationError, match="closed ticket cannot become open"):
        services.ticket_update(ticket=ticket, by=agent, status="open", priority="urgent")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == ("closed", "normal")


def test_solving_stamps_and_reopening_clears_solved_at(ticket, agent):
    services.ticket_transition(ticket=ticket, status="solved", by=agent)
    assert ticket.solved_at is not None
    services.ticket_transition(ticket=ticket, status="open", by=agent)
    ticket.refresh_from_db()
    assert ticket.solved_at is None


def test_assign_and_unassign(ticket, agent, manager):
    services.ticket_assign(ticket=ticket, agent=agent, by=manager)
    services.ticket_assign(ticket=ticket, agent=None, by=manager)
    values = list(ticket.events.filter(field="assignee").values_list("old_value", "new_value"))
    assert values == [("", str(agent)), (str(agent), "")]


def test_agent_public_reply_is_first_response_and_opens_ticket(ticket, agent):
    services.note_add(ticket=ticket, body="Looks like hardware.", by=agent)
    ticket.refresh_from_db()
    assert ticket.first_response_at is None and ticket.status == "new"
    reply = services.reply_add(ticket=ticket, body="We are on it.", by=agent)
    ticket.refresh_from_db()
    assert ticket.first_response_at == reply.created_at
    assert ticket.status == "open"
    assert reply.author_display == str(agent)
    assert list(ticket.events.values_list("field", flat=True)) == ["created", "internal_note", "reply", "status"]


def test_customer_reply_reopens_a_solved_ticket(ticket, agent, contact):
    services.ticket_transition(ticket=ticket, status="solved", by=agent)
    reply = services.reply_add(ticket=ticket, body="Still broken!", by=contact)
    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert reply.is_from_customer and reply.author_display == "Dana Whitaker"
    assert ticket.first_response_at is None  # the customer's words are not a response


def test_customer_cannot_write_internal_notes(ticket, contact):
    with pytest.raises(ValidationError, match="Customers can only write public replies"):
        services.reply_add(ticket=ticket, body="hi", by=contact, kind=ReplyKind.INTERNAL_NOTE)


def test_closed_ticket_and_empty_body_take_no_reply(ticket, agent):
    with pytest.raises(ValidationError, match="Write a message"):
        services.reply_add(ticket=ticket, body="   ", by=agent)
    services.ticket_transition(ticket=ticket, status="closed", by=agent)
    with pytest.raises(ValidationError, match="closed"):
        services.reply_add(ticket=ticket, body="Hello?", by=agent)
    assert not Reply.objects.exists()


def test_ai_draft_by_an_assistant_keeps_its_kind(ticket):
    reply = services.reply_add(ticket=ticket, body="Try turning it off.", by="Assistant Ada", kind=ReplyKind.AI_DRAFT)
    assert (reply.kind, reply.author_display) == ("ai_draft", "Assistant Ada")
    ticket.refresh_from_db()
    assert ticket.first_response_at is None


def test_attachments_are_validated_and_stored_under_the_tenant(ticket, agent, settings, media_root):
    upload = SimpleUploadedFile("error.log", b"E42 at 09:40", content_type="text/html")
    reply = services.reply_add(ticket=ticket, body="Log attached", by=agent, files=[upload])
    attachment = reply.attachments.get()
    assert attachment.content_type == "text/plain"  # from the extension, not the browser's claim
    assert attachment.size == 12
    path = media_root / "acme" / "tickets" / str(ticket.number)
    assert [p.read_bytes() for p in path.iterdir()] == [b"E42 at 09:40"]

    with pytest.raises(ValidationError, match="not allowed"):
        services.reply_add(ticket=ticket, body="x", by=agent, files=[SimpleUploadedFile("run.exe", b"MZ")])
    settings.TICKETS_ATTACHMENT_MAX_MB = 1
    big = SimpleUploadedFile("big.pdf", b"0" * (1024 * 1024 + 1))
    with pytest.raises(ValidationError, match="larger than 1 MB"):
        services.reply_add(ticket=ticket, body="x", by=agent, files=[big])
    with pytest.raises(ValidationError, match="empty"):
        services.reply_add(ticket=ticket, body="x", by=agent, files=[SimpleUploadedFile("a.txt", b"")])
    assert Attachment.objects.count() == 1 and Reply.objects.count() == 1


def test_bulk_update_reports_refusals_and_applies_the_rest(make_ticket, agent):
    a, b, c = make_ticket("A"), make_ticket("B"), make_ticket("C")
    services.ticket_transition(ticket=c, status="closed", by=agent)
    result = services.tickets_bulk_update(tickets=Ticket.objects.order_by("number"), by=agent, status="pending")
    assert result.updated == [a.number, b.number]
    assert list(result.errors) == [c.number]
    result = services.tickets_bulk_update(tickets=Ticket.objects.all(), by=agent, assignee=agent)
    assert Ticket.objects.filter(assignee=agent).count() == 3
    services.tickets_bulk_update(tickets=Ticket.objects.all(), by=agent, add_tag="Outage")
    assert all([t.name for t in x.tags.all()] == ["outage"] for x in Ticket.objects.all())


def test_delete_removes_the_thread_and_keeps_the_audit_trail(ticket, agent):
    number = ticket.number
    services.reply_add(ticket=ticket, body="hi", by=agent)
    services.ticket_delete(ticket=ticket, by=agent)
    assert not Ticket.objects.exists() and not Reply.objects.exists()
    trail = list(TicketEvent.objects.filter(ticket_number=number).order_by("id"))
    assert trail[0].field == "created" and all(e.ticket_id is None for e in trail)
    assert (trail[-1].field, trail[-1].actor) == ("deleted", agent)


def test_sla_breaches_are_marked_once_and_counted(make_ticket, sla, agent, django_capture_on_commit_callbacks):
    late = make_ticket("Late", priority="urgent")
    answered = make_ticket("Answered", priority="urgent")
    services.reply_add(ticket=answered, body="On it", by=agent)
    fresh = make_ticket("Fresh", priority="low")
    before = metrics.sla_breaches_read()
    later = timezone.now() + timedelta(minutes=31)
    with django_capture_on_commit_callbacks(execute=True):
        counts = services.sla_mark_breaches(now=later)
    assert counts == services.BreachCount(first_response=1, resolution=0)
    late.refresh_from_db()
    fresh.refresh_from_db()
    assert late.first_response_breached_at == later and fresh.first_response_breached_at is None
    assert late.events.filter(field="sla_first_response", actor_name="SLA monitor").exists()
    with django_capture_on_commit_callbacks(execute=True):
        counts = services.sla_mark_breaches(now=later + timedelta(hours=4))
    assert counts == services.BreachCount(first_response=0, resolution=2)  # late + answered, never twice
    after = metrics.sla_breaches_read()
    assert after.get(("acme", "first_response"), 0) - before.get(("acme", "first_response"), 0) == 1
    assert after.get(("acme", "resolution"), 0) - before.get(("acme", "resolution"), 0) == 2


def test_rating_once_and_only_when_solved(ticket, agent, contact):
    with pytest.raises(ValidationError, match="once the ticket is solved"):
        services.ticket_rate(ticket=ticket, contact=contact, rating=5)
    services.ticket_transition(ticket=ticket, status="solved", by=agent)
    with pytest.raises(ValidationError, match="from 1 to 5"):
        services.ticket_rate(ticket=ticket, contact=contact, rating=6)
    services.ticket_rate(ticket=ticket, contact=contact, rating=4, comment=" Quick! ")
    assert (ticket.csat_rating, ticket.csat_comment) == (4, "Quick!")
    with pytest.raises(ValidationError, match="already rated"):
        services.ticket_rate(ticket=ticket, contact=contact, rating=1)
    other = services.contact_ensure(email="eve@evil.example")
    with pytest.raises(ValidationError, match="Only the requester"):
        services.ticket_rate(ticket=ticket, contact=other, rating=1)


def test_contacts_are_matched_case_insensitively(in_acme):
    first = services.contact_ensure(email="Sam@Tailspin.example")
    again = services.contact_ensure(email="sam@tailspin.EXAMPLE ", name="Sam Okafor")
    assert first.pk == again.pk and again.name == "Sam Okafor"
    with pytest.raises(ValidationError):
        services.contact_ensure(email=" ")


def test_portal_submission_creates_a_portal_ticket(in_acme):
    ticket = services.portal_request_submit(
        email="new@customer.example", name="New", subject="Help", description="It broke."
    )
    assert (ticket.channel, ticket.requester.email) == ("portal", "new@customer.example")
    with pytest.raises(ValidationError, match="what happened"):
        services.portal_request_submit(email="new@customer.example", name="", subject="x", description=" ")
