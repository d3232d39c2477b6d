"""REST API of the knowledge base (/api/v1/kb/...)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, permissions, serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk.accounts.authentication import ApiClient
from helpdesk.stored_text import ShownTextField
from knowledge import duplicates, selectors, services
from knowledge.extract import ACCEPTED_EXTENSIONS, ExtractionError
from knowledge.forms import LANGUAGE_CHOICES
from knowledge.models import Document, Visibility
from knowledge.search import MAX_TOP_K, SearchMode

LANGUAGES = [code for code, _ in LANGUAGE_CHOICES]
MAX_UPSERT_CHUNKS = 500


class KnowledgePermission(permissions.BasePermission):
    """API keys have tenant-wide access; signed-in users need the knowledge permissions of their role."""

    required = {"GET": "view", "HEAD": "view", "OPTIONS": "view", "POST": "add", "DELETE": "delete"}

    def _allowed(self, request: Request, action: str) -> bool:
        if isinstance(request.user, ApiClient):
            return True
        return bool(request.user and request.user.has_perm(f"knowledge.{action}_document"))

    def has_permission(self, request: Request, view: APIView) -> bool:
        action = getattr(view, "permission_action", None) or self.required.get(request.method or "", "change")
        # Deleting is checked on the object, after the lookup: another tenant's id answers 404, not 403.
        return self._allowed(request, "view" if action == "delete" else action)

    def has_object_permission(self, request: Request, view: APIView, obj: object) -> bool:
        return self._allowed(request, self.required.get(request.method or "", "change"))


class DocumentSerializer(serializers.ModelSerializer):
    progress = serializers.IntegerField(source="progress_percent", read_only=True)
    error = ShownTextField()

    class Meta:
        model = Document
        fields = [
            "id", "title", "source", "filename", "url", "language", "tags", "external_id", "status", "error",
            "checksum", "archived", "visibility", "pages_total", "chunks_total", "chunks_embedded", "chunks_reused",
            "progress", "created_at", "updated_at", "indexed_at", "queued_at",
        ]  # fmt: skip
        read_only_fields = fields


class DocumentCreateSerializer(serializers.Serializer):
    file = serializers.FileField(required=False, help_text=f"Accepted: {', '.join(ACCEPTED_EXTENSIONS)}")
    text = serializers.CharField(required=False, trim_whitespace=False, max_length=2_000_000)
    url = serializers.URLField(required=False, max_length=2000)
    title = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")
    language = serializers.ChoiceField(choices=LANGUAGES, required=False, allow_blank=True, default="")
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, default=list)
    external_id = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")
    visibility = serializers.ChoiceField(
        choices=Visibility.values,
        default=Visibility.INTERNAL,
        help_text="`public`: the website widget and the portal may answer from it; `internal` (default): staff only.",
    )
    on_duplicate = serializers.ChoiceField(
        choices=["", "replace", "keep"],
        required=False,
        default="",
        help_text="When the file (same bytes or same name) is already there: empty answers 409 with its id, "
        "`replace` puts the new file in its place, `keep` adds a second document.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        given = [key for key in ("file", "text", "url") if attrs.get(key)]
        if len(given) != 1:
            raise serializers.ValidationError(
                _("Send exactly one of: a multipart `file`, `text` (with `title`), `url`.")
            )
        if attrs.get("text") is not None and not attrs.get("title"):
            raise serializers.ValidationError({"title": _("A title is required with `text`.")})
        return attrs


class DocumentListCreate(generics.ListAPIView):
    """List the tenant's documents (filter: `status`, `source`), or add one (indexing runs in the background)."""

    serializer_class = DocumentSerializer
    permission_classes = [KnowledgePermission]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filterset_fields = ["status", "source", "archived", "visibility"]

    def get_queryset(self) -> Any:
        return selectors.document_list()

    @extend_schema(request=DocumentCreateSerializer, responses={202: DocumentSerializer})
    def post(self, request: Request) -> Response:
        form = DocumentCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        meta = {"language": data["language"], "tags": data["tags"], "visibility": data["visibility"]}
        try:
            if data.get("file"):
                services.check_upload(data["file"])
                repeated, same = duplicates.duplicate_of(
                    uploaded=data["file"], digest=services.file_digest(data["file"])
                )
                if repeated is not None and not data["on_duplicate"]:
                    detail = (
                        _("The same file is already in the knowledge base as “%(title)s”; ")
                        if same
                        else _("A file with this name is already in the knowledge base as “%(title)s”; ")
                    ) % {"title": repeated.title}
                    return Response(
                        {
                            "detail": detail + "send on_duplicate=replace or on_duplicate=keep.",
                            "duplicate_of": repeated.pk,
                            "same_content": same,
                        },
                        status=status.HTTP_409_CONFLICT,
                    )
                if repeated is not None and data["on_duplicate"] == "replace":
                    if not KnowledgePermission()._allowed(request, "change"):
                        return Response({"detail": _("Replacing a document needs the change permission.")}, status=403)
                    # The document keeps its visibility; a new version only brings new content.
                    document = duplicates.document_replace_file(
                        document=repeated, uploaded=data["file"], language=data["language"], tags=data["tags"]
                    )
                else:
                    document = services.document_create_from_upload(uploaded=data["file"], title=data["title"], **meta)
            elif data.get("url"):
                document = services.document_create_from_url(url=data["url"], title=data["title"], **meta)
            else:
                document = services.document_create_from_text(
                    title=data["title"], text=data["text"], external_id=data["external_id"], **meta
                )
        except services.UploadRejected as exc:
            return Response({"detail": str(exc), "accepted": ACCEPTED_EXTENSIONS}, status=exc.status)
        except ExtractionError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(DocumentSerializer(document).data, status=status.HTTP_202_ACCEPTED)


class DocumentUpdateSerializer(serializers.Serializer):
    visibility = serializers.ChoiceField(choices=Visibility.values, required=False)
    archived = serializers.BooleanField(required=False)


class DocumentDetail(generics.RetrieveDestroyAPIView):
    """One document with its status and counts; PATCH changes its visibility or archives it; DELETE removes it."""

    serializer_class = DocumentSerializer
    permission_classes = [KnowledgePermission]

    @extend_schema(request=DocumentUpdateSerializer, responses={200: DocumentSerializer})
    def patch(self, request: Request, pk: int) -> Response:
        document = self.get_object()
        form = DocumentUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        if "visibility" in form.validated_data:
            document = services.document_set_visibility(document=document, visibility=form.validated_data["visibility"])
        if "archived" in form.validated_data:
            document = services.document_archive(document=document, archived=form.validated_data["archived"])
        return Response(DocumentSerializer(document).data)

    def get_object(self) -> Document:
        document = selectors.document_get(self.kwargs["pk"])
        self.check_object_permissions(self.request, document)
        return document

    def perform_destroy(self, instance: Document) -> None:
        services.document_delete(document=instance)


class UpsertChunkSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=100_000)
    source = serializers.CharField(max_length=255)  # type: ignore[assignment]
    external_id = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, default=list)
    language = serializers.ChoiceField(choices=LANGUAGES, required=False, allow_blank=True, default="")
    visibility = serializers.ChoiceField(
        choices=Visibility.values,
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Visibility of the source's document; left out: unchanged (a new source is `internal`)."),
    )


class UpsertSerializer(serializers.Serializer):
    chunks = UpsertChunkSerializer(many=True, allow_empty=False, max_length=MAX_UPSERT_CHUNKS)  # type: ignore[call-arg]


class Upsert(APIView):
    """Store ready-made chunks, idempotent by source + text hash; new texts are embedded at once."""

    permission_classes = [KnowledgePermission]

    @extend_schema(
        request=UpsertSerializer,
        responses=inline_serializer(
            "UpsertResult",
            {
                "created": serializers.IntegerField(),
                "unchanged": serializers.IntegerField(),
                "documents": serializers.ListField(child=serializers.IntegerField()),
            },
        ),
    )
    def post(self, request: Request) -> Response:
        form = UpsertSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        items = [services.ChunkInput(**item) for item in form.validated_data["chunks"]]
        result = services.chunks_upsert(items=items)
        return Response({"created": result.created, "unchanged": result.unchanged, "documents": result.document_ids})


class SearchFiltersSerializer(serializers.Serializer):
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, default=list)
    language = serializers.ChoiceField(choices=LANGUAGES, required=False, allow_blank=True, default="")
    document_ids = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, default=list)
    visibility = serializers.ChoiceField(
        choices=Visibility.values, required=False, allow_null=True, default=None, help_text=_("Left out: both.")
    )


class SearchRequestSerializer(serializers.Serializer):
    query = serializers.CharField(max_length=1000)
    top_k = serializers.IntegerField(min_value=1, max_value=MAX_TOP_K, default=5)
    mode = serializers.ChoiceField(choices=[m.value for m in SearchMode], default=SearchMode.HYBRID.value)
    filters = SearchFiltersSerializer(required=False, default=dict)
    min_score = serializers.FloatField(required=False, allow_null=True, default=None)
    min_similarity = serializers.FloatField(required=False, allow_null=True, default=None)


class SearchHitSerializer(serializers.Serializer):
    chunk_id = serializers.IntegerField()
    document_id = serializers.IntegerField()
    document_title = serializers.CharField()
    heading = serializers.CharField()
    text = serializers.CharField()
    position = serializers.IntegerField()
    score = serializers.FloatField()
    similarity = serializers.FloatField(allow_null=True)
    retrievers = serializers.ListField(child=serializers.CharField())
    highlights = serializers.ListField(child=serializers.CharField())
    language = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    metadata = serializers.DictField()
    external_id = serializers.CharField(help_text=_("The `external_id` the chunk (or its document) was stored with."))
    visibility = serializers.CharField()


class Search(APIView):
    """Hybrid (default), vector or keyword search over the tenant's chunks."""

    permission_classes = [KnowledgePermission]
    permission_action = "view"

    @extend_schema(
        request=SearchRequestSerializer,
        responses=inline_serializer("SearchResults", {"results": SearchHitSerializer(many=True)}),
    )
    def post(self, request: Request) -> Response:
        form = SearchRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        filters = data["filters"]
        try:
            hits = services.search(
                data["query"],
                top_k=data["top_k"],
                mode=data["mode"],
                tags=filters.get("tags", []),
                language=filters.get("language") or None,
                document_ids=filters.get("document_ids", []),
                visibility=filters.get("visibility") or None,
                min_score=data["min_score"],
                min_similarity=data["min_similarity"],
            )
        except services.SearchError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"results": SearchHitSerializer(hits, many=True).data})


class Reindex(APIView):
    """Re-embed every chunk with the tenant's active model, in the background (409 while a model switch runs)."""

    permission_classes = [KnowledgePermission]
    permission_action = "change"

    @extend_schema(request=None, responses=inline_serializer("ReindexQueued", {"chunks": serializers.IntegerField()}))
    def post(self, request: Request) -> Response:
        try:
            chunks = services.chunks_reindex_queue()
        except services.SwitchError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response({"chunks": chunks}, status=status.HTTP_202_ACCEPTED)
