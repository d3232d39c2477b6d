from datetime import datetime, timedelta
from typing import Any

from django import template

from tickets.models import Priority, Status

register = template.Library()


@register.filter
def duration(value: timedelta | None) -> str:
    """A compact duration: 45m, 2h 13m, 3d 4h."""
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {mins}m"
    return f"{mins}m"


@register.filter
def local_time(value: datetime | None, user: Any = None) -> str:
    """A timestamp in ``user``'s time zone (the server's when they chose none), for e-mails."""
    if value is None:
        return "—"
    from tickets.notifications import local_time as in_zone

    return in_zone(value, user if getattr(user, "timezone", None) is not None else None)


# What an audit row's field is called in the trail.
FIELD_LABELS = {
    "status": "status",
    "priority": "priority",
    "assignee": "assignee",
    "tags": "tags",
    "subject": "subject",
    "category": "category",
    "csat": "satisfaction rating",
    "sla_first_response": "First response SLA",
    "sla_resolution": "Resolution SLA",
    "cc": "CC",
    "followers": "followers",
    "portal_links": "customer status links",
    "requester": "requester",
}
STATUS_LABELS = dict(Status.choices)
PRIORITY_LABELS = dict(Priority.choices)


@register.filter
def field_label(name: str) -> str:
    return FIELD_LABELS.get(name) or name.replace("_", " ")


@register.filter
def value_label(value: str, field: str) -> str:
    """Stored values as people read them: `on_hold` is "On hold"."""
    if field == "status":
        return STATUS_LABELS.get(value, value)
    if field == "priority":
        return PRIORITY_LABELS.get(value, value)
    return value


@register.filter
def when(value: datetime | None) -> str:
    """A full timestamp in the viewer's time zone, named: "2026-12-02 07:13 (Asia/Tokyo)"."""
    if value is None:
        return ""
    from django.utils import timezone

    local = timezone.localtime(value)
    return f"{local:%Y-%m-%d %H:%M} ({timezone.get_current_timezone_name()})"
