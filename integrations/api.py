"""API of integrations: escalate a ticket, and read its links and escalations."""

from __future__ import annotations

from typing import Any, cast

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk.accounts.authentication import ApiClient
from helpdesk.stored_text import ShownTextField
from integrations import selectors, services
from integrations.models import ExternalRef, OutboxItem
from integrations.registry import system_choices
from tickets.selectors import ticket_get


class EscalateInput(serializers.Serializer):
    system = serializers.ChoiceField(choices=[])
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, help_text=_("Why it goes to the tracker.")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The registered systems, read when the serializer is made (they register in AppConfig.ready()).
        field = cast(serializers.ChoiceField, self.fields["system"])
        field.choices = system_choices()


class OutboxItemOutput(serializers.ModelSerializer[OutboxItem]):
    system = serializers.CharField(source="connection.system")
    last_error = ShownTextField()

    class Meta:
        model = OutboxItem
        fields = ["id", "system", "status", "attempts", "last_error", "created_at", "finished_at"]


class ExternalRefOutput(serializers.ModelSerializer[ExternalRef]):
    class Meta:
        model = ExternalRef
        fields = ["system", "key", "url", "remote_status", "remote_resolved", "last_synced_at", "created_at"]


class EscalationsOutput(serializers.Serializer):
    ticket = serializers.IntegerField()
    links = ExternalRefOutput(many=True)
    escalations = OutboxItemOutput(many=True)


def _allowed(request: Request, perm: str) -> bool:
    return isinstance(request.user, ApiClient) or bool(request.user.has_perm(perm))


class TicketEscalateView(APIView):
    @extend_schema(
        request=EscalateInput,
        responses={
            202: OutboxItemOutput,
            400: OpenApiResponse(description="Unknown or unconnected system"),
            409: OpenApiResponse(description="Already linked or being escalated"),
        },
        summary="Escalate a ticket to Jira or Zendesk",
    )
    def post(self, request: Request, number: int) -> Response:
        """Queue the creation of an issue for the ticket; a worker creates it, links it, and syncs it back."""
        ticket = ticket_get(number=number)
        if not (_allowed(request, "integrations.add_outboxitem") and _allowed(request, "tickets.change_ticket")):
            self.permission_denied(request)
        data = EscalateInput(data=request.data)
        data.is_valid(raise_exception=True)
        system = data.validated_data["system"]
        try:
            item = services.ticket_escalate(
                ticket=ticket,
                system=system,
                by=request.user,
                source="api",
                reasons=data.validated_data.get("reason", ""),
            )
        except ValidationError as exc:
            conflict = any(
                ref.connection.system == system and ref.current for ref in selectors.ticket_refs(ticket=ticket)
            ) or any(
                o.connection.system == system for o in selectors.ticket_outbox(ticket=ticket) if o.status != "failed"
            )
            return Response({"detail": " ".join(exc.messages)}, status=409 if conflict else 400)
        return Response(OutboxItemOutput(item).data, status=status.HTTP_202_ACCEPTED)


class TicketEscalationsView(APIView):
    @extend_schema(responses={200: EscalationsOutput}, summary="A ticket's tracker links and escalations")
    def get(self, request: Request, number: int) -> Response:
        ticket = ticket_get(number=number)
        if not _allowed(request, "integrations.view_externalref"):
            self.permission_denied(request)
        items = list(OutboxItem.objects.filter(ticket=ticket).select_related("connection")[:50])
        body = {"ticket": ticket.number, "links": selectors.ticket_refs(ticket=ticket), "escalations": items}
        return Response(EscalationsOutput(body).data)
