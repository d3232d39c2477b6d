from django.contrib import admin
from django.http import HttpRequest

from knowledge.models import Chunk, Document


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
    list_display = ["title", "source", "status", "language", "chunks_total", "archived", "created_at"]
    list_filter = ["status", "source", "language", "archived"]
    search_fields = ["title", "url", "external_id", "filename"]
    readonly_fields = [
        "status", "error", "checksum", "pages_total", "chunks_total", "chunks_embedded", "chunks_reused",
        "created_at", "updated_at", "indexed_at",
    ]  # fmt: skip
    inlines = [ChunkInline]


@admin.register(Chunk)
class ChunkAdmin(admin.ModelAdmin):
    """Chunks are written by ingestion only: read-only here."""

    list_display = ["document", "position", "heading", "token_count", "language", "archived"]
    list_filter = ["language", "archived"]
    search_fields = ["text", "heading", "external_id"]
    exclude = ["embedding"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
