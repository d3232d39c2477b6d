"""Reads of tickets. Every query runs in the current tenant's schema; lookups by number 404 when absent."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Avg, Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import TruncDate
from django.http import Http404
from django.utils import timezone

from helpdesk.accounts.models import User
from tickets.models import (
    PRIORITY_RANK,
    UNRESOLVED,
    Attachment,
    Contact,
    Macro,
    Priority,
    Reply,
    ReplyKind,
    Status,
    Tag,
    Ticket,
    TicketEvent,
)

PRIORITY_ORDER = Case(
    *(When(priority=p, then=Value(rank)) for p, rank in PRIORITY_RANK.items()),
    default=Value(0),
    output_field=IntegerField(),
)


def ticket_queryset(*, with_text: bool = False) -> QuerySet[Ticket]:
    """Tickets with what a list shows, in a fixed number of queries whatever the page size.

    The long text columns are left out unless ``with_text`` (the API returns the description).
    """
    tickets = Ticket.objects.select_related("requester", "assignee").prefetch_related(
        Prefetch("tags", queryset=Tag.objects.order_by("name"))
    )
    return (
        tickets.defer("search_vector") if with_text else tickets.defer("description", "search_vector", "csat_comment")
    )


def breaching_q(now: dt.datetime | None = None) -> Q:
    """Unresolved tickets whose first-response or resolution target has passed."""
    now = now or timezone.now()
    return Q(status__in=UNRESOLVED) & (
        Q(first_response_at__isnull=True, first_response_due_at__lt=now) | Q(resolution_due_at__lt=now)
    )


def ticket_get(*, number: int | str) -> Ticket:
    try:
        return ticket_queryset(with_text=True).get(number=int(number))
    except (Ticket.DoesNotExist, ValueError, OverflowError):
        raise Http404("No such ticket") from None


def ticket_number_exists(*, number: int) -> bool:
    return Ticket.objects.filter(number=number).exists()


def ticket_thread(*, ticket: Ticket, public_only: bool = False) -> QuerySet[Reply]:
    replies = ticket.replies.select_related("author_user", "author_contact").prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.order_by("id"))
    )
    return replies.filter(kind=ReplyKind.PUBLIC) if public_only else replies


def last_event_id(*, ticket: Ticket) -> int:
    """The newest audit row of the ticket: what a page has seen, for the collision notice."""
    return ticket.events.order_by("-pk").values_list("pk", flat=True).first() or 0


def macro_list() -> QuerySet[Macro]:
    return Macro.objects.filter(is_active=True).order_by("name")


def ticket_events(*, ticket: Ticket) -> QuerySet[TicketEvent]:
    return ticket.events.select_related("actor").order_by("-created_at", "-id")


def request_attachments(*, ticket: Ticket) -> QuerySet[Attachment]:
    """The files that came with the request itself (not with a reply)."""
    return Attachment.objects.filter(ticket=ticket, reply__isnull=True).order_by("id")


def ticket_attachments(*, ticket: Ticket) -> QuerySet[Attachment]:
    """Every file of the ticket, oldest first: the request's own (``reply`` empty), then the thread's."""
    return Attachment.objects.filter(ticket=ticket).order_by("id")


def ticket_customer(*, ticket: Ticket, email: str) -> Contact | None:
    """The ticket's requester or CC'd contact with this address (any case), or None for anyone else."""
    email = email.strip().lower()
    if not email:
        return None
    if ticket.requester.email.lower() == email:
        return ticket.requester
    return ticket.cc.filter(email__iexact=email).first()


def attachment_get(*, ticket: Ticket, attachment_id: int, public_only: bool = False) -> Attachment:
    attachments = Attachment.objects.filter(ticket=ticket)
    if public_only:
        attachments = attachments.filter(Q(reply__isnull=True) | Q(reply__kind=ReplyKind.PUBLIC))
    attachment = attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404("No such attachment")
    return attachment


def agent_list() -> QuerySet[User]:
    """People who can own tickets: active users with a role in this tenant."""
    return User.objects.filter(is_active=True, groups__name__in=["agent", "manager", "admin"]).distinct()


def agent_get(*, pk: int | str | None) -> User | None:
    if pk in (None, ""):
        return None
    try:
        return agent_list().get(pk=int(pk))  # type: ignore[arg-type]
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404("No such agent") from None


def tag_list() -> QuerySet[Tag]:
    return Tag.objects.order_by("name")


def contact_list() -> QuerySet[Contact]:
    """Contacts; unverified claims to an address (public requests awaiting confirmation) are not contacts yet."""
    return Contact.objects.filter(claim_of=None).order_by("email")


def tickets_by_numbers(*, numbers: list[int]) -> QuerySet[Ticket]:
    return Ticket.objects.filter(number__in=numbers).prefetch_related("tags").order_by("number")


def ticket_page(*, ticket: Ticket, user: User) -> dict[str, Any]:
    """What the ticket page shows of ``ticket`` to ``user`` (querysets stay lazy: a partial reads only its part).

    The views add what needs the request, a form or the rules of the services (the reply form, macros, the
    customer status link, the statuses the ticket may move to).
    """
    return {
        "ticket": ticket,
        "thread": ticket_thread(ticket=ticket),
        "request_files": request_attachments(ticket=ticket),
        "events": ticket_events(ticket=ticket),
        "agents": agent_list(),
        "statuses": Status.choices,
        "priorities": Priority.choices,
        "can_reply": ticket.status != Status.CLOSED,
        "following": ticket.followers.filter(pk=user.pk).exists(),
        "followers": ticket.followers.all(),
        "cc": ticket.cc.all(),
        "attachment_types": ", ".join(settings.TICKETS_ATTACHMENT_TYPES),
        "attachment_max_mb": settings.TICKETS_ATTACHMENT_MAX_MB,
    }


# --- Dashboard -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayCount:
    day: dt.date
    created: int
    solved: int


@dataclass(frozen=True)
class Dashboard:
    by_status: list[tuple[str, str, int]]
    by_priority: list[tuple[str, str, int]]
    open_total: int
    days: list[DayCount]
    breaching_now: int
    breached_30d: int
    median_first_response: dt.timedelta | None
    median_resolution: dt.timedelta | None
    csat_average: float | None
    csat_count: int
    csat_distribution: list[tuple[int, int]]


def _median_seconds(column: str, since: dt.datetime) -> dt.timedelta | None:
    # Column names are constants of this module, never input.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM "  # noqa: S608
            f"{column} - created_at)) FROM tickets_ticket WHERE {column} IS NOT NULL AND created_at >= %s",
            [since],
        )
        value = cursor.fetchone()[0]
    return dt.timedelta(seconds=round(float(value))) if value is not None else None


def dashboard_stats(*, days: int = 30) -> Dashboard:
    now = timezone.now()
    today = timezone.localdate()
    first_day = today - dt.timedelta(days=days - 1)
    since = timezone.make_aware(dt.datetime.combine(first_day, dt.time.min))
    unresolved = Ticket.objects.filter(status__in=UNRESOLVED)
    status_counts = dict(unresolved.values_list("status").annotate(n=Count("id")).order_by())
    priority_counts = dict(unresolved.values_list("priority").annotate(n=Count("id")).order_by())
    created = dict(
        Ticket.objects.filter(created_at__gte=since)
        .annotate(day=TruncDate("created_at"))
        .values_list("day")
        .annotate(n=Count("id"))
        .order_by()
    )
    solved = dict(
        Ticket.objects.filter(solved_at__gte=since)
        .annotate(day=TruncDate("solved_at"))
        .values_list("day")
        .annotate(n=Count("id"))
        .order_by()
    )
    breach = Ticket.objects.aggregate(
        now=Count("id", filter=breaching_q(now)),
        recent=Count(
            "id",
            filter=Q(first_response_breached_at__gte=since) | Q(resolution_breached_at__gte=since),
        ),
        csat_avg=Avg("csat_rating"),
        csat_n=Count("csat_rating"),
    )
    distribution = dict(
        Ticket.objects.filter(csat_rating__isnull=False).values_list("csat_rating").annotate(n=Count("id")).order_by()
    )
    return Dashboard(
        by_status=[(s.value, str(s.label), status_counts.get(s.value, 0)) for s in Status if s in UNRESOLVED],
        by_priority=[(p.value, str(p.label), priority_counts.get(p.value, 0)) for p in reversed(Priority)],
        open_total=sum(status_counts.values()),
        days=[
            DayCount(day=d, created=created.get(d, 0), solved=solved.get(d, 0))
            for d in (first_day + dt.timedelta(days=i) for i in range(days))
        ],
        breaching_now=breach["now"],
        breached_30d=breach["recent"],
        median_first_response=_median_seconds("first_response_at", since),
        median_resolution=_median_seconds("solved_at", since),
        csat_average=breach["csat_avg"],
        csat_count=breach["csat_n"],
        csat_distribution=[(r, distribution.get(r, 0)) for r in range(5, 0, -1)],
    )
