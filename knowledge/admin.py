from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from knowledge import services
from knowledge.models import Chunk, Document, Visibility


class ChunkInline(admin.TabularInline):
    model = Chunk
    fields = ["position", "heading", "text", "token_count", "language", "archived"]
    readonly_fields = ["position", "heading", "text", "token_count", "language", "archived"]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["title", "source", "status", "visibility", "language", "chunks_total", "archived", "created_at"]
    list_filter = ["status", "source", "visibility", "language", "archived"]
    search_fields = ["title", "url", "external_id", "filename"]
    readonly_fields = [
        "status", "error", "checksum", "pages_total", "chunks_total", "chunks_embedded", "chunks_reused",
        "created_at", "updated_at", "indexed_at",
    ]  # fmt: skip
    inlines = [ChunkInline]
    actions = ["make_public", "make_internal"]

    # Writes go through the services, as from the pages and the API: chunks follow the document's
    # visibility and archive flag, and a deleted document's stored file goes with it.
    def save_model(self, request: HttpRequest, obj: Document, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "visibility" in form.changed_data:
            services.document_set_visibility(document=obj, visibility=obj.visibility)
        if change and "archived" in form.changed_data:
            services.document_archive(document=obj, archived=obj.archived)

    def delete_model(self, request: HttpRequest, obj: Document) -> None:
        services.document_delete(document=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Document]) -> None:
        for document in queryset:
            services.document_delete(document=document)

    @admin.action(description=_("Make public (customers may get answers from them)"), permissions=["change"])
    def make_public(self, request: HttpRequest, queryset: QuerySet[Document]) -> None:
        for document in queryset:
            services.document_set_visibility(document=document, visibility=Visibility.PUBLIC)

    @admin.action(description=_("Make internal (staff only)"), permissions=["change"])
    def make_internal(self, request: HttpRequest, queryset: QuerySet[Document]) -> None:
        for document in queryset:
            services.document_set_visibility(document=document, visibility=Visibility.INTERNAL)


@admin.register(Chunk)
class ChunkAdmin(admin.ModelAdmin):
    """Chunks are written by ingestion only: read-only here."""

    list_display = ["document", "position", "heading", "token_count", "language", "visibility", "archived"]
    list_filter = ["language", "visibility", "archived"]
    search_fields = ["text", "heading", "external_id"]
    exclude = ["embedding"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
