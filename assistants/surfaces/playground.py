"""The playground: chat with an assistant and see what it retrieved and the prompt it was given."""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib.auth.decorators import login_required, permission_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from assistants import selectors
from assistants.engine import Answer, answer_stream
from assistants.models import Assistant, Channel, Conversation
from assistants.services.chat import ChatReply, chat, chat_stream
from assistants.surfaces.streaming import answer_events, failure_event
from helpdesk.http import AuthenticatedHttpRequest
from helpdesk.sse import sse_response

SIGNING_SALT = "assistants.playground"
QUESTION_MAX_AGE = 300  # seconds between asking and opening the stream


def _session_key(pk: int) -> str:
    return f"playground-{pk}"


def _conversation(request: AuthenticatedHttpRequest, pk: int) -> Conversation | None:
    session_id = request.session.get(_session_key(pk))
    return Conversation.objects.filter(assistant_id=pk, session_id=session_id).first() if session_id else None


@login_required
@permission_required("assistants.view_assistant", raise_exception=True)
@require_GET
def playground(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assistant = selectors.assistant_get(pk)
    if request.GET.get("new"):
        request.session.pop(_session_key(pk), None)
        return redirect("assistants:playground", pk=pk)
    conversation = _conversation(request, pk)
    turns = list(conversation.messages.all()) if conversation else []
    return render(request, "assistants/playground.html", {"assistant": assistant, "turns": turns})


@login_required
@permission_required("assistants.view_assistant", raise_exception=True)
@require_POST
def playground_ask(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assistant = selectors.assistant_get(pk)
    question = request.POST.get("message", "").strip()
    if not question:
        return render(
            request, "assistants/playground.html#turn_error", {"error": _("Type a question first.")}, status=422
        )
    conversation = _conversation(request, pk)
    session_id = str(conversation.session_id) if conversation else None
    if not request.htmx:  # without JavaScript: answer in one go and show the page again
        try:
            reply = chat(assistant=assistant, message=question, session_id=session_id, channel=Channel.PLAYGROUND)
        except ValidationError as exc:
            context = {"error": " ".join(exc.messages)}
            return render(request, "assistants/playground.html#turn_error", context, status=422)
        request.session[_session_key(pk)] = str(reply.conversation.session_id)
        return redirect("assistants:playground", pk=pk)
    token = signing.dumps({"q": question, "s": session_id}, salt=SIGNING_SALT)
    base_url = reverse("assistants:playground-stream", kwargs={"pk": pk})
    context = {"question": question, "stream_url": f"{base_url}?t={token}"}
    if request.POST.get("compare") and assistant.adapter:  # A/B: the same question without the adapter
        context["base_stream_url"] = f"{base_url}?t=" + signing.dumps({"q": question, "base": 1}, salt=SIGNING_SALT)
    return render(request, "assistants/playground.html#turn", context)


def _base_events(request: AuthenticatedHttpRequest, assistant: Assistant, question: str) -> Iterator[str]:
    """The base model's answer for the side-by-side comparison (not kept in the conversation)."""

    def done(result: Answer) -> dict[str, object]:
        return {"html": render_to_string("assistants/playground.html#answer_base", {"answer": result}, request)}

    events = answer_stream(assistant=assistant, question=question, adapter="")
    return answer_events(events, public=False, done=done)  # staff trying the assistant out


@login_required
@permission_required("assistants.view_assistant", raise_exception=True)
@require_GET
def playground_stream(request: AuthenticatedHttpRequest, pk: int) -> StreamingHttpResponse:
    assistant = selectors.assistant_get(pk)

    def done(reply: ChatReply) -> dict[str, object]:
        request.session[_session_key(pk)] = str(reply.conversation.session_id)
        request.session.save()  # the response is already streaming: save explicitly
        context = {"assistant": assistant, "message": reply.message, "answer": reply.answer}
        return {
            "html": render_to_string("assistants/playground.html#answer", context, request),
            "targets": {"inspector": render_to_string("assistants/playground.html#inspector", context, request)},
        }

    def events() -> Iterator[str]:
        try:
            asked = signing.loads(request.GET.get("t", ""), salt=SIGNING_SALT, max_age=QUESTION_MAX_AGE)
            if asked.get("base"):
                yield from _base_events(request, assistant, asked["q"])
                return
            replies = chat_stream(
                assistant=assistant, message=asked["q"], session_id=asked["s"], channel=Channel.PLAYGROUND
            )
            yield from answer_events(replies, public=False, done=done)  # staff: the inspector shows everything
        except signing.BadSignature:
            yield failure_event(_("This question expired; ask it again."))
        except ValidationError as exc:
            yield failure_event(" ".join(exc.messages))

    return sse_response(events())
