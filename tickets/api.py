"""REST API of tickets and contacts (DRF), mounted under /api/v1/.

Writes go through ``tickets.services`` like the pages do, so the transition rules and the
audit trail are the same; a Django ``ValidationError`` becomes a 400 with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import django_filters as filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk.accounts.authentication import ApiClient
from helpdesk.accounts.models import User
from tickets import extensions, selectors, services
from tickets.filters import TicketFilter
from tickets.models import Attachment, Channel, Contact, Reply, ReplyKind, Status, Ticket


@contextmanager
def _as_drf_errors() -> Iterator[None]:
    try:
        yield
    except DjangoValidationError as exc:
        raise ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages) from exc


class TenantModelPermissions(permissions.DjangoModelPermissions):
    """API keys act for the whole tenant; signed-in users need the model permission of their role."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request: Request, view: APIView) -> bool:
        if isinstance(request.user, ApiClient):
            return True
        return super().has_permission(request, view)


# --- Serializers -----------------------------------------------------------------------------------


class ContactSerializer(serializers.ModelSerializer[Contact]):
    unverified = serializers.BooleanField(
        source="is_unverified_claim",
        read_only=True,
        help_text=_("True for a public request naming an existing contact's address that was not confirmed yet."),
    )

    class Meta:
        model = Contact
        fields = ["id", "email", "name", "organisation", "unverified", "created_at"]
        read_only_fields = ["id", "unverified", "created_at"]

    def validate_email(self, value: str) -> str:
        value = value.strip().lower()
        if Contact.objects.filter(email=value, claim_of=None).exists():
            raise ValidationError("A contact with this email exists already.")
        return value


class TagListField(serializers.ListField):
    child = serializers.CharField(max_length=50)

    def to_representation(self, data: Any) -> list[str]:
        return [tag.name for tag in data.all()]


class AgentField(serializers.SlugRelatedField):
    """An agent by email (null unassigns)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="email", allow_null=True, required=False, **kwargs)

    def get_queryset(self) -> QuerySet[User]:
        return selectors.agent_list()


class TicketSerializer(serializers.ModelSerializer[Ticket]):
    requester = ContactSerializer(read_only=True)
    requester_email = serializers.EmailField(write_only=True, help_text=_("Creates the contact if it is new."))
    requester_name = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=200)
    assignee = AgentField()
    tags = TagListField(required=False)
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.API)

    class Meta:
        model = Ticket
        fields = [
            "number",
            "subject",
            "description",
            "status",
            "priority",
            "channel",
            "requester",
            "requester_email",
            "requester_name",
            "assignee",
            "tags",
            "category",
            "first_response_due_at",
            "resolution_due_at",
            "first_response_at",
            "solved_at",
            "csat_rating",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "number",
            "first_response_due_at",
            "resolution_due_at",
            "first_response_at",
            "solved_at",
            "csat_rating",
            "created_at",
            "updated_at",
        ]


class TicketUpdateSerializer(TicketSerializer):
    class Meta(TicketSerializer.Meta):
        read_only_fields = [*TicketSerializer.Meta.read_only_fields, "description", "channel"]
        extra_kwargs = {"requester_email": {"required": False}}

    requester_email = serializers.EmailField(write_only=True, required=False)


class AttachmentSerializer(serializers.ModelSerializer[Attachment]):
    details = serializers.SerializerMethodField(
        help_text="What the attachment readers made of the file, by reader: e.g. `vision` for images "
        "(status, text, error codes, category, confidence)."
    )

    class Meta:
        model = Attachment
        fields = ["id", "filename", "content_type", "size", "details"]

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_details(self, attachment: Attachment) -> dict[str, Any]:
        return extensions.attachment_details(attachment)  # from the processors other apps registered


class ReplySerializer(serializers.ModelSerializer[Reply]):
    author = serializers.CharField(source="author_display", read_only=True)
    author_type = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True, read_only=True)
    files = serializers.ListField(child=serializers.FileField(), write_only=True, required=False)
    kind = serializers.ChoiceField(choices=ReplyKind.choices, default=ReplyKind.PUBLIC)

    class Meta:
        model = Reply
        fields = ["id", "kind", "body", "author", "author_type", "attachments", "files", "created_at"]
        read_only_fields = ["id", "created_at"]

    def get_author_type(self, reply: Reply) -> str:
        if reply.author_user_id:
            return "agent"
        if reply.author_contact_id:
            return "contact"
        return "assistant" if reply.kind == ReplyKind.AI_DRAFT else "system"


# --- Views -----------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List tickets", description="Filter with status, priority, assignee, tag, q, dates."),
    create=extend_schema(summary="Create a ticket"),
    retrieve=extend_schema(summary="Get a ticket by its number"),
    partial_update=extend_schema(
        summary="Change a ticket", description="Status changes obey the transition rules; a refused one is a 400."
    ),
    destroy=extend_schema(summary="Delete a ticket with its thread"),
)
class TicketViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[Ticket],
):
    lookup_field = "number"
    lookup_value_regex = r"\d+"
    filterset_class = TicketFilter
    permission_classes = [TenantModelPermissions]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet[Ticket]:
        return selectors.ticket_queryset(with_text=True)

    def check_permissions(self, request: Request) -> None:
        # A number of another tenant (or none at all) answers 404 before any 403 about permissions.
        if "number" in self.kwargs:
            selectors.ticket_get(number=self.kwargs["number"])
        super().check_permissions(request)

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        if self.action == "partial_update":
            return TicketUpdateSerializer
        if self.action == "replies":
            return ReplySerializer
        return TicketSerializer

    def get_object(self) -> Ticket:
        ticket = selectors.ticket_get(number=self.kwargs["number"])
        self.check_object_permissions(self.request, ticket)
        return ticket

    def perform_create(self, serializer: serializers.BaseSerializer[Ticket]) -> None:
        data = serializer.validated_data
        with _as_drf_errors():
            contact = services.contact_ensure(email=data["requester_email"], name=data.get("requester_name", ""))
            ticket = services.ticket_create(
                subject=data["subject"],
                description=data.get("description", ""),
                priority=data.get("priority", "normal"),
                channel=data.get("channel", Channel.API),
                requester=contact,
                assignee=data.get("assignee"),
                tags=data.get("tags", []),
                category=data.get("category", ""),
                by=self.request.user,
            )
        serializer.instance = selectors.ticket_get(number=ticket.number)

    def perform_update(self, serializer: serializers.BaseSerializer[Ticket]) -> None:
        ticket = serializer.instance
        assert ticket is not None
        changes = {
            k: v
            for k, v in serializer.validated_data.items()
            if k in {"status", "priority", "assignee", "tags", "subject", "category"}
        }
        with _as_drf_errors():
            services.ticket_update(ticket=ticket, by=self.request.user, **changes)
        serializer.instance = selectors.ticket_get(number=ticket.number)

    def perform_destroy(self, instance: Ticket) -> None:
        services.ticket_delete(ticket=instance, by=self.request.user)

    @extend_schema(
        methods=["GET"], summary="The thread of a ticket", responses=ReplySerializer(many=True), filters=False
    )
    @extend_schema(methods=["POST"], summary="Add a reply or an internal note", responses=ReplySerializer)
    @action(detail=True, methods=["get", "post"], filterset_class=None)
    def replies(self, request: Request, number: str) -> Response:
        ticket = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(selectors.ticket_thread(ticket=ticket))  # type: ignore[arg-type]
            return self.get_paginated_response(ReplySerializer(page, many=True).data)
        if not isinstance(request.user, ApiClient) and not request.user.has_perm("tickets.add_reply"):
            self.permission_denied(request)
        serializer = ReplySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with _as_drf_errors():
            reply = services.reply_add(
                ticket=ticket, body=data["body"], kind=data["kind"], files=data.get("files", []), by=request.user
            )
        reply = selectors.ticket_thread(ticket=ticket).get(pk=reply.pk)
        return Response(ReplySerializer(reply).data, status=status.HTTP_201_CREATED)


class ContactFilter(filters.FilterSet):
    email = filters.CharFilter(field_name="email", lookup_expr="iexact")
    q = filters.CharFilter(method="filter_q", label=_("Search in email, name and organisation"))

    class Meta:
        model = Contact
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet[Contact], name: str, value: str) -> QuerySet[Contact]:
        return queryset.filter(Q(email__icontains=value) | Q(name__icontains=value) | Q(organisation__icontains=value))


@extend_schema_view(
    list=extend_schema(summary="List contacts"),
    create=extend_schema(summary="Create a contact"),
    retrieve=extend_schema(summary="Get a contact"),
)
class ContactViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Contact]
):
    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    permission_classes = [TenantModelPermissions]

    def get_queryset(self) -> QuerySet[Contact]:
        return selectors.contact_list()

    def perform_create(self, serializer: serializers.BaseSerializer[Contact]) -> None:
        data = serializer.validated_data
        with _as_drf_errors():
            serializer.instance = services.contact_ensure(
                email=data["email"], name=data.get("name", ""), organisation=data.get("organisation", "")
            )
