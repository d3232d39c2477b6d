from tickets import services
from tickets.models import Reply, Tag, Ticket, TicketEvent


def test_admin_lists_filters_and_searches_tickets(manager_client, make_ticket):
    make_ticket("Printer on fire", priority="urgent")
    make_ticket("Invoice wrong")
    html = manager_client.get("/admin/tickets/ticket/?priority__exact=urgent").content.decode()
    assert "Printer on fire" in html and "Invoice wrong" not in html
    html = manager_client.get("/admin/tickets/ticket/?q=invoice").content.decode()
    assert "Invoice wrong" in html and "Printer on fire" not in html
    for page in ("slapolicy", "tag", "contact"):
        assert manager_client.get(f"/admin/tickets/{page}/").status_code == 200


def _change_form(ticket, **changes):
    data = {
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "assignee": "",
        "category": "",
        "replies-TOTAL_FORMS": "1",
        "replies-INITIAL_FORMS": "0",
        "replies-MIN_NUM_FORMS": "0",
        "replies-MAX_NUM_FORMS": "1000",
        "replies-0-kind": "public",
        "replies-0-body": "",
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
        "events-MIN_NUM_FORMS": "0",
        "events-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


def test_admin_changes_go_through_the_services(manager_client, manager, ticket):
    url = f"/admin/tickets/ticket/{ticket.pk}/change/"
    assert manager_client.get(url).status_code == 200
    tag = Tag.objects.create(name="vip")
    response = manager_client.post(
        url, _change_form(ticket, status="pending", tags=[tag.pk], **{"replies-0-body": "Answered from the admin"})
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    ticket.refresh_from_db()
    assert ticket.status == "pending" and [t.name for t in ticket.tags.all()] == ["vip"]
    reply = Reply.objects.get()
    assert (reply.author_user, reply.body) == (manager, "Answered from the admin")
    assert ticket.first_response_at == reply.created_at
    fields = set(TicketEvent.objects.filter(actor=manager).values_list("field", flat=True))
    assert fields == {"status", "tags", "reply"}


def test_admin_refuses_an_invalid_transition(manager_client, manager, ticket):
    services.ticket_transition(ticket=ticket, status="closed", by=manager)
    response = manager_client.post(f"/admin/tickets/ticket/{ticket.pk}/change/", _change_form(ticket, status="open"))
    assert response.status_code == 200 and "A closed ticket cannot become open" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "closed"


def test_admin_adds_a_ticket_through_the_service(manager_client, contact, sla):
    response = manager_client.post(
        "/admin/tickets/ticket/add/",
        {
            "subject": "From the admin",
            "description": "Phone call",
            "priority": "high",
            "channel": "chat",
            "requester": contact.pk,
            "assignee": "",
            "category": "",
            "replies-TOTAL_FORMS": "0",
            "replies-INITIAL_FORMS": "0",
            "replies-MIN_NUM_FORMS": "0",
            "replies-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    ticket = Ticket.objects.get()
    assert ticket.number >= 1001 and ticket.resolution_due_at is not None
    assert TicketEvent.objects.get(ticket=ticket).field == "created"


def test_agents_cannot_open_the_admin(agent_client):
    assert agent_client.get("/admin/tickets/ticket/").status_code == 302


def test_admin_delete_goes_through_the_service(manager_client, acme, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import TestCase
    from django_tenants.utils import tenant_context

    from tickets import services
    from tickets.models import Attachment, Ticket, TicketEvent

    settings.MEDIA_ROOT = str(tmp_path)
    with tenant_context(acme):
        contact = services.contact_ensure(email="pat@customer.example")
        ticket = services.ticket_create(subject="Broken", description="It broke.", requester=contact, by=contact)
        services.reply_add(ticket=ticket, body="Log", by=contact, files=[SimpleUploadedFile("log.txt", b"trace")])
        path = Attachment.objects.get().file.path
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = manager_client.post(
            "/admin/tickets/ticket/", {"action": "delete_selected", "_selected_action": [ticket.pk], "post": "yes"}
        )
    assert response.status_code == 302
    with tenant_context(acme):
        assert not Ticket.objects.exists()
        assert TicketEvent.objects.filter(ticket_number=ticket.number, field="deleted").exists()
    import os

    assert not os.path.exists(path)
