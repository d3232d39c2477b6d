"""Template helpers of the ticket pages and e-mails, and the slots other apps fill (``tickets.extensions``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets import extensions
from tickets.models import Attachment, Priority, Status, Ticket
from tickets.notifications import local_time as in_zone

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
        return _("%(days)dd %(hours)dh") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)dh %(minutes)dm") % {"hours": hours, "minutes": mins}
    return _("%(minutes)dm") % {"minutes": mins}


@register.filter
def local_time(value: datetime | None, user: Any = None) -> str:
    """A timestamp in ``user``'s time zone (the server's when they chose none), for e-mails."""
    if value is None:
        return "—"
    return in_zone(value, user if getattr(user, "timezone", None) is not None else None)


# What an audit row's field is called in the trail.
FIELD_LABELS = {
    "status": gettext_lazy("status"),
    "priority": gettext_lazy("priority"),
    "assignee": gettext_lazy("assignee"),
    "tags": gettext_lazy("tags"),
    "subject": gettext_lazy("subject"),
    "category": gettext_lazy("category"),
    "csat": gettext_lazy("satisfaction rating"),
    "sla_first_response": gettext_lazy("First response SLA"),
    "sla_resolution": gettext_lazy("Resolution SLA"),
    "cc": gettext_lazy("CC"),
    "followers": gettext_lazy("followers"),
    "portal_links": gettext_lazy("customer status links"),
    "requester": gettext_lazy("requester"),
}
STATUS_LABELS = dict(Status.choices)
PRIORITY_LABELS = dict(Priority.choices)


@register.filter
def field_label(name: str) -> str:
    return str(FIELD_LABELS.get(name) or name.replace("_", " "))


@register.filter
def value_label(value: str, field: str) -> str:
    """Stored values as people read them: `on_hold` is "On hold"."""
    if field == "status":
        return str(STATUS_LABELS.get(value, value))
    if field == "priority":
        return str(PRIORITY_LABELS.get(value, value))
    return value


@register.filter
def when(value: datetime | None) -> str:
    """A full timestamp in the viewer's time zone, named: "2026-12-02 07:13 (Asia/Tokyo)"."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    return f"{local:%Y-%m-%d %H:%M} ({timezone.get_current_timezone_name()})"


def _template(context: template.Context, name: str) -> template.Template:
    """``name`` from the engine rendering ``context`` (as ``{% include %}`` finds it)."""
    engine = context.template.engine if context.template is not None else template.Engine.get_default()
    return engine.get_template(name)


PANEL_LOADER = (
    '<section id="{key}-panel" class="{key}-panel" aria-label="{title}"\n'
    '         hx-get="{url}" hx-trigger="load" hx-swap="outerHTML">\n'
    "  <h2>{title}</h2>\n"
    '  <p aria-busy="true">{loading}</p>\n'
    "</section>"
)


@register.simple_tag(takes_context=True)
def ticket_panels(context: template.Context, ticket: Ticket) -> SafeString:
    """The side-column panels other apps registered (``tickets.extensions.register_panel``), in their order."""
    request = context.get("request")
    html = []
    for panel in extensions.panels(getattr(request, "user", None)):
        if panel.template:
            with context.push(ticket=ticket, panel=panel):
                html.append(_template(context, panel.template).render(context))
        else:
            url = reverse(panel.url_name, args=[ticket.number])
            html.append(format_html(PANEL_LOADER, key=panel.key, title=panel.title, url=url, loading=_("Loading…")))
    return mark_safe("\n\n".join(html))  # noqa: S308 - rendered templates and escaped markup


@register.simple_tag(takes_context=True)
def attachment_details(context: template.Context, files: Any) -> SafeString:
    """What the attachment processors show under a reply's (or the request's) attachments, each its template."""
    attachments: Iterable[Attachment] = files.attachments.all() if hasattr(files, "attachments") else files
    attachments = list(attachments)
    html = []
    for processor in extensions.attachment_processors():
        if processor.template and processor.context is not None:
            values = processor.context(context, attachments)
            html.append(_template(context, processor.template).render(context.new(values)))
    return mark_safe("".join(html))  # noqa: S308 - rendered templates
