"""Chat with an assistant over the API (one answer, or server-sent events as it is generated), and
draft a ticket's answer."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assistants import selectors
from assistants.services.chat import MAX_MESSAGE_CHARS, chat, chat_stream
from assistants.services.drafting import answer_for_ticket
from assistants.surfaces.streaming import answer_events, started
from helpdesk.accounts.permissions import requires
from helpdesk.sse import sse_response
from tickets.selectors import ticket_get

# The same permissions as the pages: the playground (chat) and the ticket's AI panel (answer).
CHAT_PERMISSION = requires("assistants.view_assistant")
ANSWER_PERMISSION = requires("tickets.change_ticket")

# --- Chat --------------------------------------------------------------------------------------------


class ChatInput(serializers.Serializer):
    session_id = serializers.UUIDField(required=False, allow_null=True)
    message = serializers.CharField(max_length=MAX_MESSAGE_CHARS, trim_whitespace=True)
    public_only = serializers.BooleanField(
        default=False,
        help_text="Answer from public knowledge documents only (set it when the reply goes to a customer unseen).",
    )


ChatOutput = inline_serializer(
    "ChatReply",
    {
        "session_id": serializers.UUIDField(),
        "reply": serializers.CharField(help_text="Only sentences that passed verification."),
        "sentences": serializers.ListField(
            child=serializers.DictField(),
            help_text="Each sentence of the answer: text, verified, ref (the chunk that supports it), chunk_id, "
            "origin (model or quote), reason (why it failed or was replaced), original.",
        ),
        "citations": serializers.ListField(child=serializers.DictField()),
        "request_type": serializers.CharField(),
        "request_type_certain": serializers.BooleanField(),
        "escalate": serializers.BooleanField(),
        "reasons": serializers.ListField(child=serializers.CharField()),
        "declined": serializers.BooleanField(help_text="The assistant said it does not know."),
        "provider": serializers.CharField(),
        "strategy": serializers.CharField(),
        "fallback_from": serializers.CharField(allow_null=True),
        "latency_ms": serializers.FloatField(),
        "adapter": serializers.CharField(allow_null=True, help_text="LoRA adapter version that answered, if any"),
        "model": serializers.CharField(
            allow_null=True, help_text="The model that wrote the draft (qwen2.5-coder-1.5b-instruct-q4_k_m), if any"
        ),
    },
)


def _validation_response(exc: ValidationError) -> Response:
    return Response(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}, status=400)


def _parse(request: Request, pk: int) -> tuple[Any, dict[str, Any]]:
    assistant = selectors.assistant_get(pk)
    data = ChatInput(data=request.data)
    data.is_valid(raise_exception=True)
    session = data.validated_data.get("session_id")
    arguments = {
        "message": data.validated_data["message"],
        "session_id": str(session) if session else None,
        "public_only": data.validated_data["public_only"],
    }
    return assistant, arguments


class AssistantChatView(APIView):
    permission_classes = [CHAT_PERMISSION]

    @extend_schema(request=ChatInput, responses={200: ChatOutput, 400: OpenApiResponse(description="Bad input")})
    def post(self, request: Request, pk: int) -> Response:
        """Send a message; answers with the assistant's grounded reply and the session to continue."""
        assistant, arguments = _parse(request, pk)
        try:
            reply = chat(assistant=assistant, **arguments)
        except ValidationError as exc:
            return _validation_response(exc)
        return Response(reply.as_dict(), status=status.HTTP_200_OK)


class AssistantChatStreamView(APIView):
    permission_classes = [CHAT_PERMISSION]

    @extend_schema(
        request=ChatInput,
        responses={
            200: OpenApiResponse(
                description="text/event-stream: `token` events, each a verified sentence, then `done` with the reply"
            )
        },
    )
    def post(self, request: Request, pk: int) -> Response | StreamingHttpResponse:
        """Like chat, as server-sent events: `token` {"text"} for each sentence once it is verified, then `done`."""
        assistant, arguments = _parse(request, pk)
        try:
            events = started(chat_stream(assistant=assistant, **arguments))  # errors surface before the 200
        except ValidationError as exc:
            return _validation_response(exc)

        # The caller holds an API key with the playground's permission: staff, who see what failed verification.
        return sse_response(answer_events(events, public=False))


class TicketAnswerOutput(serializers.Serializer):
    id = serializers.IntegerField()
    ticket = serializers.IntegerField()
    draft_reply = serializers.IntegerField(allow_null=True)
    assistant = serializers.CharField(allow_null=True)
    text = serializers.CharField(help_text="The verified sentences of the answer.")
    reply = serializers.CharField(help_text="The draft reply to the customer (plain text), as stored on the ticket.")
    sentences = serializers.ListField(child=serializers.DictField())
    citations = serializers.ListField(child=serializers.DictField())
    request_type = serializers.CharField()
    request_type_certain = serializers.BooleanField()
    declined = serializers.BooleanField()
    confidence = serializers.FloatField()
    priority = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    escalate = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField())
    provider = serializers.CharField()
    fallback_from = serializers.CharField(allow_null=True)
    latency_ms = serializers.FloatField()


class TicketAnswerView(APIView):
    permission_classes = [ANSWER_PERMISSION]

    @extend_schema(request=None, responses={201: TicketAnswerOutput, 400: OpenApiResponse(description="No assistant")})
    def post(self, request: Request, number: int) -> Response:
        """Draft a cited reply for the ticket with the default assistant; it is stored as an AI draft."""
        ticket = ticket_get(number=number)
        try:
            stored = answer_for_ticket(ticket=ticket)
        except ValidationError as exc:
            return Response({"detail": " ".join(exc.messages)}, status=400)
        body = {
            "id": stored.pk,
            "ticket": ticket.number,
            "draft_reply": stored.draft_id,
            "assistant": stored.assistant.name if stored.assistant else None,
            **stored.result,
        }
        return Response(TicketAnswerOutput(body).data, status=status.HTTP_201_CREATED)
