"""The website widget: one <script> tag opens a chat box that talks to an assistant.

It authenticates with a public widget key bound to one assistant and a list of
allowed origins, is rate-limited per key and visitor address, and turns an
escalated chat into a ticket once the visitor leaves an email address.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.core import is_ratelimited

from assistants.models import Channel, WidgetKey
from assistants.replies import handed_over_text, widget_greeting
from assistants.services import chat_escalate_to_ticket, normalise_origin
from assistants.services.chat import chat, chat_stream
from assistants.surfaces.streaming import answer_events, started
from helpdesk.sse import sse_response


class WidgetDenied(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


def _key(value: str) -> WidgetKey:
    key = WidgetKey.objects.select_related("assistant").filter(key=value, is_active=True).first()
    if key is None:
        raise WidgetDenied(404, _("Unknown or disabled widget key."))
    return key


def _check_origin(request: HttpRequest, key: WidgetKey) -> str:
    origin = request.headers.get("Origin", "")
    try:
        allowed = origin and normalise_origin(origin) in key.allowed_origins
    except ValidationError:
        allowed = False
    if not allowed:
        raise WidgetDenied(403, _("This site is not allowed to use this widget key."))
    return origin


def _rate_limit(request: HttpRequest, key: WidgetKey) -> None:
    limited = is_ratelimited(
        request,
        group=f"assistants.widget:{key.pk}",
        # Per key and visitor: "ip" is the client's address (RATELIMIT_IP_META_KEY, helpdesk.http.client_ip),
        # the one the outermost proxy saw, so visitors behind the reverse proxy do not share one bucket.
        key="ip",
        rate=settings.WIDGET_RATE,
        increment=True,
    )
    if limited:
        raise WidgetDenied(429, _("Too many messages; wait a minute and try again."))


def _cors(response: HttpResponseBase, origin: str) -> HttpResponseBase:
    response["Access-Control-Allow-Origin"] = origin
    response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    response["Access-Control-Allow-Headers"] = "Content-Type"
    response["Vary"] = "Origin"
    return response


def _payload(request: HttpRequest) -> dict[str, Any]:
    if request.content_type == "multipart/form-data":  # the handover form with screenshots
        return {**request.POST.dict(), "files": request.FILES.getlist("files")}
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        raise WidgetDenied(400, _("The body must be JSON.")) from None
    if not isinstance(data, dict):
        raise WidgetDenied(400, _("The body must be a JSON object."))
    return data


def _endpoint(handler):  # type: ignore[no-untyped-def]
    """CORS preflight, key, origin and rate checks around a widget endpoint; errors as JSON."""

    @csrf_exempt  # cross-site by design: the key and the origin list are the protection
    @require_http_methods(["POST", "OPTIONS"])
    def view(request: HttpRequest) -> HttpResponseBase:
        origin = request.headers.get("Origin", "")
        try:
            if request.method == "OPTIONS":
                return _cors(HttpResponse(status=204), origin) if origin else HttpResponse(status=204)
            data = _payload(request)
            key = _key(str(data.get("key", "")))
            origin = _check_origin(request, key)
            _rate_limit(request, key)
            result = handler(request, key, data)
            return _cors(result if isinstance(result, HttpResponseBase) else JsonResponse(result), origin)
        except WidgetDenied as denied:
            response = JsonResponse({"detail": denied.detail}, status=denied.status)
            return _cors(response, origin) if origin else response
        except ValidationError as exc:
            return _cors(JsonResponse({"detail": " ".join(exc.messages)}, status=400), origin)

    return view


@_endpoint
def widget_chat(request: HttpRequest, key: WidgetKey, data: dict[str, Any]) -> dict[str, object]:
    reply = chat(
        assistant=key.assistant,
        message=str(data.get("message", "")),
        session_id=data.get("session_id") or None,
        channel=Channel.WIDGET,
    )
    return reply.as_dict(public=True)  # a visitor sees verified sentences only


@_endpoint
def widget_chat_stream(request: HttpRequest, key: WidgetKey, data: dict[str, Any]) -> HttpResponseBase:
    """The answer as server-sent events: `token` {"text"} while it is written, then `done` with the reply."""
    events = chat_stream(
        assistant=key.assistant,
        message=str(data.get("message", "")),
        session_id=data.get("session_id") or None,
        channel=Channel.WIDGET,
    )
    # A bad message or session fails in started(), as a 400, before the stream starts.
    # A visitor sees verified sentences only: the same reply as widget_chat's.
    return sse_response(answer_events(started(events), public=True))


@_endpoint
def widget_escalate(request: HttpRequest, key: WidgetKey, data: dict[str, Any]) -> dict[str, object]:
    handed = chat_escalate_to_ticket(
        assistant=key.assistant,
        session_id=str(data.get("session_id", "")),
        email=str(data.get("email", "")),
        name=str(data.get("name", ""))[:200],
        site_url=request.build_absolute_uri("/"),
        files=[f for f in data.get("files", []) if isinstance(f, UploadedFile)],
    )
    # Only now, with a ticket made from the chat, may the assistant say a person has the question.
    return handed | {"message": handed_over_text(key.assistant.language)}


# Characters that could end a <script> element, open markup, or end a JavaScript line inside a string.
_JS_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026", 0x2028: "\\u2028", 0x2029: "\\u2029"}


def js_literal(value: object) -> str:
    """``value`` as a JavaScript expression that stays one JSON literal wherever it is pasted in a script.

    Strings are JSON-quoted (so ``*/`` or a quote cannot end a comment or a string),
    ``<``, ``>`` and ``&`` are escaped (no ``</script>``, no ``<!--``), and so are
    U+2028 / U+2029 (line terminators in older JavaScript engines).
    """
    return json.dumps(value, ensure_ascii=True).translate(_JS_ESCAPES)


# The most screenshots whose count the widget names in a sentence of its own (more: "Screenshots attached: N").
WIDGET_COUNTED_FILES = 10


def widget_texts() -> dict[str, Any]:
    """The widget's own words in the visitor's language (the request's); the assistant's replies keep its own."""
    return {
        "open": _("Chat with us"),
        "close": _("Close the chat"),
        "person": _("Talk to a person"),
        "placeholder": _("Ask a question…"),
        "message": _("Message"),
        "send_screenshot": _("Send a screenshot to our team"),
        "send": _("Send"),
        "failed": _("Something went wrong; please try again."),
        "source": _("Source:"),
        "sources": _("Sources:"),
        "cut_off": _("The answer was cut off; please ask again."),
        "email": _("Your e-mail address"),
        "name": _("Your name (optional)"),
        "screenshots": _("Screenshots (optional)"),
        "attach": _("Attach a screenshot"),
        "send_to_team": _("Send to our team"),
        "escalated": _("A person from our team should look at this."),
        "leave_email": _("Leave your e-mail address: we send them this conversation and they answer you by e-mail."),
        "attached": [
            ngettext("%(count)d screenshot attached", "%(count)d screenshots attached", count) % {"count": count}
            for count in range(WIDGET_COUNTED_FILES + 1)
        ],
        "attached_many": _("Screenshots attached: %(count)s"),
        "confirm_link": _(
            "Thanks! We sent a link to %(email)s: follow it to confirm your address, "
            "and our team will answer %(ticket)s."
        ),
        "with_team": _("Thanks! Your request %(ticket)s is with our team; they will answer you at %(email)s."),
        "received_one": _("We received your screenshot."),
        "received_many": _("We received your screenshots."),
    }


@require_GET
def widget_script(request: HttpRequest) -> HttpResponse:
    """The embeddable script; its own URL tells it which server and key to talk to."""
    try:
        key = _key(request.GET.get("key", ""))
    except WidgetDenied as denied:
        return HttpResponse(f"/* {denied.detail} */", status=404, content_type="text/javascript")
    base = request.build_absolute_uri("/").rstrip("/")
    config = {
        "key": key.key,
        "title": key.assistant.name,
        "base": base,
        "greeting": widget_greeting(key.assistant.language, key.assistant.name),
        "texts": widget_texts(),
    }
    # The one place tenant text enters the script: a JSON literal (see js_literal), nowhere else.
    response = render(
        request, "assistants/widget.js", {"config_json": js_literal(config)}, content_type="text/javascript"
    )
    response["Cache-Control"] = "public, max-age=300"
    patch_vary_headers(response, ("Accept-Language",))  # its words follow the visitor's language
    return response
