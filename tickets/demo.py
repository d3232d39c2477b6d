"""Sample data for `manage.py demo`: SLA policies everywhere, realistic tickets in acme (English) and romashka
(Russian). Idempotent."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from helpdesk.accounts.models import User
from helpdesk.tenants.models import Tenant
from tickets import demo_ru, services
from tickets.models import Priority, Reply, SLAPolicy, Status, Ticket, TicketEvent

SLA_TARGETS = {  # minutes: first response, resolution
    Priority.URGENT: (30, 4 * 60),
    Priority.HIGH: (2 * 60, 24 * 60),
    Priority.NORMAL: (8 * 60, 3 * 24 * 60),
    Priority.LOW: (24 * 60, 7 * 24 * 60),
}

CONTACTS = [
    ("dana.whitaker@northwind.example", "Dana Whitaker", "Northwind Traders"),
    ("luis.ortega@contoso.example", "Luis Ortega", "Contoso"),
    ("mei.chen@fabrikam.example", "Mei Chen", "Fabrikam"),
    ("sam.okafor@tailspin.example", "Sam Okafor", "Tailspin Toys"),
    ("priya.raman@adatum.example", "Priya Raman", "Adatum"),
]

TICKETS = [
    (
        "Cannot log in after password reset",
        "I reset my password an hour ago and the login page keeps saying "
        "my credentials are wrong. I tried two browsers.",
        Priority.HIGH,
        ["login", "account"],
        "Account",
    ),
    (
        "Invoice shows the wrong VAT number",
        "Our November invoice lists an old VAT number. Can you reissue it with DE811569869?",
        Priority.NORMAL,
        ["billing"],
        "Billing",
    ),
    (
        "Export to CSV times out",
        "Exporting the orders report for the whole year fails after about a minute with a gateway timeout.",
        Priority.NORMAL,
        ["export", "bug"],
        "Reports",
    ),
    (
        "Production API returns 500 on /orders",
        "Since 09:40 UTC every POST to /orders fails with HTTP 500. This blocks our checkout.",
        Priority.URGENT,
        ["api", "outage"],
        "API",
    ),
    (
        "How do I add a second admin?",
        "We want our finance lead to manage invoices too. Where do I add her?",
        Priority.LOW,
        ["account", "how-to"],
        "Account",
    ),
    (
        "Refund for duplicate charge",
        "We were charged twice for the annual plan on the 3rd. Please refund one of the charges.",
        Priority.HIGH,
        ["billing", "refund"],
        "Billing",
    ),
    (
        "Webhook deliveries delayed",
        "Webhooks arrive 10-15 minutes late since yesterday.",
        Priority.NORMAL,
        ["webhooks"],
        "API",
    ),
    (
        "Feature request: dark mode",
        "Our night shift would love a dark theme.",
        Priority.LOW,
        ["feature-request"],
        "Product",
    ),
    (
        "SSO with Azure AD fails",
        "Users get 'invalid audience' when signing in through Azure AD.",
        Priority.HIGH,
        ["sso", "login"],
        "Account",
    ),
    (
        "Mobile app crashes on upload",
        "The iOS app closes when I attach a photo to a request.",
        Priority.NORMAL,
        ["mobile", "bug"],
        "Mobile",
    ),
    (
        "Change of billing address",
        "We moved: please use Hauptstrasse 5, 10115 Berlin from now on.",
        Priority.LOW,
        ["billing"],
        "Billing",
    ),
    (
        "Slow dashboard in the morning",
        "Between 8 and 9 the dashboard takes 20 seconds to load.",
        Priority.NORMAL,
        ["performance"],
        "Product",
    ),
]

AGENT_REPLIES = [
    "Thanks for reaching out! I'm looking into this now and will update you shortly.",
    "Could you send us a screenshot of the error and the time it happened?",
    "We found the cause and deployed a fix. Could you check whether it works for you now?",
]
CUSTOMER_REPLIES = ["Thanks, here is the screenshot you asked for.", "Yes, it works now. Thank you!"]
NOTES = ["Checked the logs: same error as last week's incident.", "Escalated to the platform team."]


@dataclass(frozen=True)
class Sample:
    """One tenant's sample tickets: who writes, about what, and how the team answers."""

    contacts: Sequence[tuple[str, str, str]]
    tickets: Sequence[tuple[str, str, Priority, list[str], str]]
    agent_replies: Sequence[str]
    customer_replies: Sequence[str]
    notes: Sequence[str]
    again: str


SAMPLES = {
    "acme": Sample(CONTACTS, TICKETS, AGENT_REPLIES, CUSTOMER_REPLIES, NOTES, again="again"),
    "romashka": Sample(
        demo_ru.CONTACTS,
        demo_ru.TICKETS,
        demo_ru.AGENT_REPLIES,
        demo_ru.CUSTOMER_REPLIES,
        demo_ru.NOTES,
        again="повторно",
    ),
}


def seed(*, tenant: Tenant) -> None:
    for priority, (first, resolution) in SLA_TARGETS.items():
        SLAPolicy.objects.get_or_create(
            priority=priority, defaults={"first_response_minutes": first, "resolution_minutes": resolution}
        )
    sample = SAMPLES.get(tenant.schema_name)
    if sample is None or Ticket.objects.filter(requester__email__endswith=".example").exists():
        return
    _seed_tickets(sample)


@transaction.atomic
def _seed_tickets(sample: Sample) -> None:
    rng = random.Random(42)  # noqa: S311 - sample data, not security
    agents = list(User.objects.filter(groups__name__in=["agent", "manager"]).distinct())
    contacts = [services.contact_ensure(email=e, name=n, organisation=o) for e, n, o in sample.contacts]
    now = timezone.now()
    for index, (subject, description, priority, tags, category) in enumerate([*sample.tickets] * 3):
        contact = contacts[index % len(contacts)]
        ticket = services.ticket_create(
            subject=subject if index < len(sample.tickets) else f"{subject} ({sample.again})",
            description=description,
            priority=priority,
            requester=contact,
            tags=tags,
            category=category,
            channel=rng.choice(["web", "portal", "email", "api", "chat"]),
            by=contact,
        )
        age = timedelta(days=rng.uniform(0, 29), hours=rng.uniform(0, 23))
        created = now - age
        first_due, resolution_due = services.sla_due_times(priority=priority, start=created)
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=created, first_response_due_at=first_due, resolution_due_at=resolution_due
        )
        ticket.refresh_from_db()
        if agents and rng.random() < 0.8:
            services.ticket_assign(ticket=ticket, agent=rng.choice(agents), by=None)
        if rng.random() < 0.75:
            agent = ticket.assignee or (agents[0] if agents else None)
            services.reply_add(ticket=ticket, body=rng.choice(sample.agent_replies), by=agent)
            first_response = min(created + timedelta(minutes=rng.uniform(10, 600)), now)
            Ticket.objects.filter(pk=ticket.pk).update(first_response_at=first_response)
            if rng.random() < 0.5:
                services.reply_add(ticket=ticket, body=rng.choice(sample.customer_replies), by=contact)
            if rng.random() < 0.4:
                services.note_add(ticket=ticket, body=rng.choice(sample.notes), by=agent)
            ticket.refresh_from_db()
            final = rng.choice([Status.PENDING, Status.SOLVED, Status.SOLVED, Status.CLOSED, Status.OPEN])
            services.ticket_transition(ticket=ticket, status=final, by=agent)
            if final in (Status.SOLVED, Status.CLOSED):
                solved = min(first_response + timedelta(hours=rng.uniform(1, 72)), now)
                Ticket.objects.filter(pk=ticket.pk).update(solved_at=solved)
                if rng.random() < 0.6:
                    ticket.refresh_from_db()
                    services.ticket_rate(ticket=ticket, contact=contact, rating=rng.choice([3, 4, 5, 5, 5]))
        _spread_history(ticket, created, now, rng)


def _spread_history(ticket: Ticket, created: datetime, now: datetime, rng: random.Random) -> None:
    """Sample data only: put the thread and the audit trail between the ticket's creation and now."""
    moment = created
    rows: list[tuple[datetime, int, type[Reply] | type[TicketEvent]]] = [
        *((r.created_at, r.pk, Reply) for r in ticket.replies.all()),
        *((e.created_at, e.pk, TicketEvent) for e in ticket.events.all()),
    ]
    for _, pk, model in sorted(rows, key=lambda row: (row[0], row[1])):
        model.objects.filter(pk=pk).update(created_at=moment)
        moment = min(moment + timedelta(minutes=rng.uniform(5, 300)), now)
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=moment)
