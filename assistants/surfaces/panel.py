"""The AI panel on the ticket page: suggest a reply (streamed), apply its suggestions, rate it."""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib.auth.decorators import login_required, permission_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from assistants.models import TicketAnswer
from assistants.selectors import assistant_default, latest_answer, macros_for_ticket, ticket_question, unsent_drafts
from assistants.services.drafting import answer_apply, answer_feedback, answer_for_ticket_stream
from assistants.surfaces.streaming import answer_events, failure_event
from helpdesk.http import AuthenticatedHttpRequest
from helpdesk.sse import sse_response
from tickets.models import Status, Ticket
from tickets.selectors import ticket_get, ticket_thread

TEMPLATE = "assistants/ai_panel.html"
SIGNING_SALT = "assistants.ticket-panel"


def _context(request: AuthenticatedHttpRequest, ticket: Ticket, ai: TicketAnswer | None) -> dict[str, object]:
    return {
        "ticket": ticket,
        "ai": ai,
        "has_assistant": assistant_default() is not None,
        "can_suggest": ticket.status != Status.CLOSED and request.user.has_perm("tickets.change_ticket"),
        "macro_suggestions": macros_for_ticket(
            ticket=ticket, question=ticket_question(ticket).question, agent=request.user
        )
        if ticket.status != Status.CLOSED
        else [],
    }


def _panel(request: AuthenticatedHttpRequest, ticket: Ticket, **extra: object) -> HttpResponse:
    return render(request, f"{TEMPLATE}#panel", _context(request, ticket, latest_answer(ticket)) | extra)


@login_required
@permission_required("tickets.view_ticket", raise_exception=True)
@require_GET
def panel(request: AuthenticatedHttpRequest, number: int) -> HttpResponse:
    return _panel(request, ticket_get(number=number))


@login_required
@permission_required("tickets.change_ticket", raise_exception=True)
@require_POST
def suggest(request: AuthenticatedHttpRequest, number: int) -> HttpResponse:
    ticket = ticket_get(number=number)
    if ticket.status == Status.CLOSED:
        return _panel(request, ticket, error=_("This ticket is closed: there is nothing to reply to."))
    token = signing.dumps({"n": ticket.number, "u": request.user.pk}, salt=SIGNING_SALT)
    stream_url = reverse("assistants:ticket-stream", kwargs={"number": ticket.number}) + f"?t={token}"
    return render(request, f"{TEMPLATE}#streaming", {"ticket": ticket, "stream_url": stream_url})


@login_required
@permission_required("tickets.change_ticket", raise_exception=True)
@require_GET
def stream(request: AuthenticatedHttpRequest, number: int) -> StreamingHttpResponse:
    ticket = ticket_get(number=number)

    def events() -> Iterator[str]:
        try:
            asked = signing.loads(request.GET.get("t", ""), salt=SIGNING_SALT, max_age=300)
            if asked != {"n": ticket.number, "u": request.user.pk}:
                raise signing.BadSignature("token of another ticket or user")
            replaced = [f"reply-{pk}" for pk in unsent_drafts(ticket).values_list("pk", flat=True)]
            yield from answer_events(
                answer_for_ticket_stream(ticket=ticket),
                public=False,  # the ticket's agent: the panel marks what failed verification
                done=lambda ai: _done(request, ticket, ai, replaced),
            )
        except signing.BadSignature:
            yield failure_event(_("This suggestion expired; ask again."))
        except ValidationError as exc:
            yield failure_event(" ".join(exc.messages))

    return sse_response(events())


def _done(
    request: AuthenticatedHttpRequest, ticket: Ticket, ai: TicketAnswer, replaced: list[str]
) -> dict[str, object]:
    """The new panel, and the thread's change: the unsent draft it replaces goes, the new draft is appended."""
    panel_html = render_to_string(f"{TEMPLATE}#panel", _context(request, ticket, ai), request)
    done: dict[str, object] = {"html": panel_html, "remove": replaced}
    if ai.draft is not None:
        draft = ticket_thread(ticket=ticket).get(pk=ai.draft.pk)
        context = {"ticket": ticket, "reply": draft}
        done["append"] = {"thread": render_to_string("tickets/ticket_detail.html#reply", context, request)}
    return done


def _ticket_answer(number: int, answer_id: int) -> TicketAnswer:
    return get_object_or_404(TicketAnswer.objects.select_related("ticket"), pk=answer_id, ticket__number=number)


@login_required
@permission_required("tickets.change_ticket", raise_exception=True)
@require_POST
def feedback(request: AuthenticatedHttpRequest, number: int, answer_id: int) -> HttpResponse:
    ticket_answer = _ticket_answer(number, answer_id)
    answer_feedback(ticket_answer=ticket_answer, helpful=request.POST.get("helpful") == "1", by=request.user)
    return _panel(request, ticket_answer.ticket)


@login_required
@permission_required("tickets.change_ticket", raise_exception=True)
@require_POST
def apply(request: AuthenticatedHttpRequest, number: int, answer_id: int, field: str) -> HttpResponse:
    ticket_answer = _ticket_answer(number, answer_id)
    try:
        answer_apply(ticket_answer=ticket_answer, field=field, by=request.user)
    except ValidationError as exc:
        return _panel(request, ticket_answer.ticket, error=" ".join(exc.messages))
    response = HttpResponse(status=204)
    response["HX-Refresh"] = "true"  # header, thread and audit trail all changed
    return response
