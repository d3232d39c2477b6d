"""Ticket page pieces for working together: follow, CC, merge a duplicate, and who else is here.

Presence lives in the (tenant-scoped) cache: each open ticket page polls, which both records
the viewer and answers with the others seen within ``TICKETS_PRESENCE_SECONDS``, plus what
they changed since the page loaded.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from helpdesk.http import AuthenticatedHttpRequest
from tickets import selectors, services
from tickets.models import Ticket

DETAIL = "tickets/ticket_detail.html"


def _side(request: AuthenticatedHttpRequest, ticket: Ticket, **extra: object) -> HttpResponse:
    ticket = selectors.ticket_get(number=ticket.number)
    context = {**selectors.ticket_page(ticket=ticket, user=request.user), **extra}
    return render(request, f"{DETAIL}#people_update", context)


def _done(request: AuthenticatedHttpRequest, ticket: Ticket, error: str = "", note: str = "") -> HttpResponse:
    if request.htmx:
        return _side(request, ticket, people_error=error)
    if error:
        messages.error(request, error)
    elif note:
        messages.success(request, note)
    return redirect("tickets:detail", number=ticket.number)


@login_required
@permission_required("tickets.view_ticket", raise_exception=True)
@require_POST
def follow(request: AuthenticatedHttpRequest, number: int) -> HttpResponse:
    ticket = selectors.ticket_get(number=number)
    on = request.POST.get("follow", "1") == "1"
    services.ticket_follow(ticket=ticket, user=request.user, follow=on)
    return _done(request, ticket, note=_("You follow this ticket.") if on else _("You no longer follow this ticket."))


@login_required
@permission_required("tickets.change_ticket", raise_exception=True)
@require_POST
def cc(request: AuthenticatedHttpRequest, number: int) -> HttpResponse:
    ticket = selectors.ticket_get(number=number)
    try:
        services.ticket_cc_set(ticket=ticket, emails=request.POST.get("cc", ""), by=request.user)
    except ValidationError as exc:
        return _done(request, ticket, error=" ".join(exc.messages))
    return _done(request, ticket, note="CC updated.")


@login_required
@permission_required("tickets.change_ticket", raise_exception=True)
@require_POST
def merge(request: AuthenticatedHttpRequest, number: int) -> HttpResponse:
    source = selectors.ticket_get(number=number)
    raw = request.POST.get("target", "").strip().lstrip("#")
    try:
        target = selectors.ticket_get(number=raw)
    except Http404:  # an unknown number, or one of another tenant, is just not there
        messages.error(request, _("There is no ticket #%(number)s to merge into.") % {"number": raw or "?"})
        return redirect("tickets:detail", number=source.number)
    try:
        services.ticket_merge(source=source, target=target, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("tickets:detail", number=source.number)
    messages.success(request, f"{source.reference} was merged into {target.reference}; its thread is below.")
    return redirect("tickets:detail", number=target.number)


def _present(number: int, user_id: int, name: str) -> list[str]:
    """Record this viewer and return the names of the others seen recently."""
    key = f"tickets:presence:{number}"
    now = time.time()
    horizon = now - settings.TICKETS_PRESENCE_SECONDS
    viewers = {uid: seen for uid, seen in (cache.get(key) or {}).items() if seen[1] >= horizon}
    viewers[user_id] = (name, now)
    cache.set(key, viewers, timeout=settings.TICKETS_PRESENCE_SECONDS * 2)
    return sorted(seen[0] for uid, seen in viewers.items() if uid != user_id)


@login_required
@permission_required("tickets.view_ticket", raise_exception=True)
@require_GET
def presence(request: AuthenticatedHttpRequest, number: int) -> HttpResponse:
    ticket = selectors.ticket_get(number=number)
    others = _present(ticket.number, request.user.pk, request.user.get_full_name())
    try:
        seen = int(request.GET.get("seen", ""))
    except ValueError:
        seen = None
    changed = [] if seen is None else list(services.changes_since(ticket=ticket, seen=seen, viewer=request.user))
    return render(request, f"{DETAIL}#presence", {"ticket": ticket, "others": others, "changed": changed})
