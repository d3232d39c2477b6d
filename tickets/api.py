"""REST API of tickets and contacts (DRF), mounted under /api/v1/.

Writes go through ``tickets.services`` like the pages do, so the transition rules, the attachment
checks and the audit trail are the same; a Django ``ValidationError`` becomes a 400 with the reason.
Gateways (a mail bridge, a chat connector) create tickets with files and post the customer's own
replies (``"as": "customer"``), which then count as the customer's words and screenshots everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import django_filters as filters
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils import html
from rest_framework.views import APIView

from helpdesk.accounts.authentication import ApiClient
from helpdesk.accounts.models import User
from tickets import extensions, selectors, services
from tickets.filters import TicketFilter
from tickets.models import Attachment, Channel, Contact, Reply, ReplyKind, Status, Ticket

# The multipart part that carries files, on ticket creation and on replies (repeat it for each file).
FILES_PART = "files"


@contextmanager
def _as_drf_errors() -> Iterator[None]:
    try:
        yield
    except DjangoValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise ValidationError(exc.messages) from exc
        errors = exc.message_dict
        if "attachments" in errors:  # the services' name for the files; the API's is `files`
            errors[FILES_PART] = errors.pop("attachments")
        raise ValidationError(errors) from exc


def _file_parts_check(request: Request) -> None:
    """Refuse a file sent under another part name (it would be dropped without a word), and say why a multipart
    body Django will not read (too many files, too much text) is refused, instead of its bare 400 page."""
    try:
        parts = list(request.FILES)
    except TooManyFilesSent as exc:
        too_many = ngettext_lazy(
            "Attach up to %(most)s file to one message (this one has more than %(limit)s).",
            "Attach up to %(most)s files to one message (this one has more than %(limit)s).",
            "most",
        )
        limits = {"most": settings.TICKETS_MAX_FILES_PER_MESSAGE, "limit": settings.DATA_UPLOAD_MAX_NUMBER_FILES}
        raise ValidationError({FILES_PART: [too_many % limits]}) from exc
    except RequestDataTooBig as exc:
        too_big = _("This request is larger than %(mb)s MB without its files; send long text as a file.")
        raise ValidationError([too_big % {"mb": round(settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 2**20, 1)}]) from exc
    unknown = sorted(name for name in parts if name != FILES_PART)
    if unknown:
        message = _('Send files in the "%(part)s" part (once per file); this part is not read.') % {"part": FILES_PART}
        raise ValidationError({name: [message] for name in unknown})


@extend_schema_field({"type": "array", "items": {"type": "string", "format": "binary"}})
class FilesField(serializers.ListField):
    """Uploaded files, one multipart part each (documented as binary: they are files, not links)."""

    def __init__(self, **kwargs: Any) -> None:
        # Empty files pass DRF's own check so that the attachment checks name them, as on every channel.
        super().__init__(child=serializers.FileField(allow_empty_file=True), write_only=True, required=False, **kwargs)

    def get_value(self, dictionary: Any) -> Any:
        value = super().get_value(dictionary)
        if isinstance(value, list) and html.is_html_input(dictionary):
            # A form's file input left empty comes as a part without a file name: no file, as in a browser.
            return [item for item in value if item != ""]
        return value


def _files_checked(files: list[UploadedFile], *, ticket: Ticket | None = None) -> list[UploadedFile]:
    """The checks of every channel (portal, agent pages, widget), with each refused file's reason at its position.

    The limits come first (count per message, MB per ticket and per tenant a day), so a flood is refused
    unread; then each file's type, size and content: ``{"1": ["scan.png is not a PNG image: …"]}``. The
    services check again when they store the files, in the same transaction.
    """
    try:
        services.attachments_budget_check(files=files, ticket=ticket)
    except DjangoValidationError as exc:
        raise ValidationError(exc.message_dict.get("attachments", exc.messages)) from exc
    problems: dict[int, list[str]] = {}
    for index, upload in enumerate(files):
        try:
            services.attachment_validate(upload)
        except DjangoValidationError as exc:
            problems[index] = exc.messages
    if problems:
        raise ValidationError({str(index): reasons for index, reasons in problems.items()})
    return files


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


class AttachmentSerializer(serializers.ModelSerializer[Attachment]):
    reply = serializers.IntegerField(
        source="reply_id",
        read_only=True,
        allow_null=True,
        help_text="The reply the file came with; null for a file of the request itself.",
    )
    details = serializers.SerializerMethodField(
        help_text="What the attachment readers made of the file, by reader: e.g. `vision` for images "
        "(status, text, error codes, category, confidence)."
    )

    class Meta:
        model = Attachment
        fields = ["id", "filename", "content_type", "size", "reply", "details"]

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_details(self, attachment: Attachment) -> dict[str, Any]:
        return extensions.attachment_details(attachment)  # from the processors other apps registered


@extend_schema_serializer(component_name="TicketDetail")
class TicketDetailSerializer(TicketSerializer):
    """One ticket with its files: what creating, reading and changing a ticket answer."""

    attachments = serializers.SerializerMethodField(
        help_text="Every file of the ticket, oldest first, with what the attachment readers made of it: "
        "the request's own (`reply` null), then those of the thread's replies."
    )
    files = FilesField(
        help_text="Files of the request (multipart/form-data, one `files` part per file): the same type, size and "
        "count checks as the portal's and the agents' uploads. A refused file refuses the whole ticket (400, with "
        "the reason at the file's position)."
    )

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "attachments", "files"]

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, ticket: Ticket) -> list[dict[str, Any]]:
        return AttachmentSerializer(selectors.ticket_attachments(ticket=ticket), many=True).data  # type: ignore[return-value]

    def validate_files(self, files: list[UploadedFile]) -> list[UploadedFile]:
        return _files_checked(files)


@extend_schema_serializer(component_name="TicketUpdate")
class TicketUpdateSerializer(TicketDetailSerializer):
    files = None  # type: ignore[assignment]  # files come with a request or a reply, not with a change

    class Meta(TicketDetailSerializer.Meta):
        fields = [name for name in TicketDetailSerializer.Meta.fields if name != "files"]
        read_only_fields = [*TicketSerializer.Meta.read_only_fields, "description", "channel"]
        extra_kwargs = {"requester_email": {"required": False}}

    requester_email = serializers.EmailField(write_only=True, required=False)


AS_AGENT, AS_CUSTOMER = "agent", "customer"


class ReplySerializer(serializers.ModelSerializer[Reply]):
    """A message of the thread; posting one needs the ticket in the context (``ticket``)."""

    author = serializers.CharField(source="author_display", read_only=True)
    author_type = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True, read_only=True)
    files = FilesField(
        help_text="Files of the reply (multipart/form-data, one `files` part per file), checked like every upload; "
        "a refused file refuses the reply (400, with the reason at the file's position)."
    )
    kind = serializers.ChoiceField(choices=ReplyKind.choices, default=ReplyKind.PUBLIC)
    email = serializers.EmailField(
        write_only=True,
        required=False,
        help_text='With `"as": "customer"`: the address of the requester or of a contact CC\'d on the ticket.',
    )

    class Meta:
        model = Reply
        fields = ["id", "kind", "body", "author", "author_type", "attachments", "files", "email", "created_at"]
        read_only_fields = ["id", "created_at"]

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # `as` is a Python keyword, so the field cannot be declared in the class body.
        fields["as"] = serializers.ChoiceField(
            choices=[AS_AGENT, AS_CUSTOMER],
            default=AS_AGENT,
            write_only=True,
            help_text="Who wrote it. `agent` (default): the API client, or the signed-in user. `customer`: the "
            "requester or a CC'd contact named by `email`; the reply then counts as the customer's everywhere "
            "(reopens a pending or solved ticket, notifies the agents, its screenshots join the question the "
            "assistants answer). Customers write public replies only.",
        )
        return fields

    def validate_files(self, files: list[UploadedFile]) -> list[UploadedFile]:
        return _files_checked(files, ticket=self.context["ticket"])

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        email = attrs.pop("email", "")
        if attrs.pop("as", AS_AGENT) != AS_CUSTOMER:
            if email:
                raise ValidationError({"email": [_('An address is read only with "as": "customer".')]})
            return attrs
        if not email:
            raise ValidationError(
                {"email": [_("Give the address of the customer who wrote this: the requester or a CC'd contact.")]}
            )
        ticket: Ticket = self.context["ticket"]
        contact = selectors.ticket_customer(ticket=ticket, email=email)
        if contact is None:
            message = _("%(email)s is neither the requester of ticket %(ticket)s nor copied on it.")
            raise ValidationError({"email": [message % {"email": email, "ticket": ticket.reference}]})
        if attrs["kind"] != ReplyKind.PUBLIC:
            raise ValidationError({"kind": [_("A customer writes public replies only.")]})
        attrs["customer"] = contact
        return attrs

    def get_author_type(self, reply: Reply) -> str:
        if reply.author_user_id:
            return "agent"
        if reply.author_contact_id:
            return "contact"
        return "assistant" if reply.kind == ReplyKind.AI_DRAFT else "system"


# --- Views -----------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List tickets", description="Filter with status, priority, assignee, tag, q, dates."),
    create=extend_schema(
        summary="Create a ticket",
        description="JSON, or multipart/form-data with files (one `files` part per file, list fields such as "
        "`tags` repeated). A refused file refuses the whole ticket: 400 with the reason at the file's position.",
    ),
    retrieve=extend_schema(
        summary="Get a ticket by its number",
        description="With every file of the ticket and what was read from it (e.g. a screenshot's text).",
    ),
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
        if self.action == "list":
            return TicketSerializer
        return TicketDetailSerializer

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _file_parts_check(request)
        return super().create(request, *args, **kwargs)

    def get_object(self) -> Ticket:
        ticket = selectors.ticket_get(number=self.kwargs["number"])
        self.check_object_permissions(self.request, ticket)
        return ticket

    def perform_create(self, serializer: serializers.BaseSerializer[Ticket]) -> None:
        data = serializer.validated_data
        with _as_drf_errors(), transaction.atomic():  # a refused ticket leaves no new contact behind
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
                files=data.get("files", []),
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
    @extend_schema(
        methods=["POST"],
        summary="Add a reply or an internal note",
        description='JSON, or multipart/form-data with files. With `"as": "customer"` and `email`, the requester '
        "or a CC'd contact wrote it (a gateway handing over the customer's message); any other address is a 400.",
        responses=ReplySerializer,
    )
    @action(detail=True, methods=["get", "post"], filterset_class=None)
    def replies(self, request: Request, number: str) -> Response:
        ticket = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(selectors.ticket_thread(ticket=ticket))  # type: ignore[arg-type]
            return self.get_paginated_response(ReplySerializer(page, many=True).data)
        if not isinstance(request.user, ApiClient) and not request.user.has_perm("tickets.add_reply"):
            self.permission_denied(request)
        _file_parts_check(request)
        serializer = ReplySerializer(data=request.data, context={"ticket": ticket, "request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with _as_drf_errors():
            reply = services.reply_add(
                ticket=ticket,
                body=data["body"],
                kind=data["kind"],
                files=data.get("files", []),
                by=data.get("customer") or request.user,
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
