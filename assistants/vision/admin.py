from django.contrib import admin

from assistants.vision.models import AttachmentAnalysis, ScreenshotLabel


@admin.register(ScreenshotLabel)
class ScreenshotLabelAdmin(admin.ModelAdmin):
    list_display = ["title", "name", "is_fallback", "position"]
    list_editable = ["position"]
    search_fields = ["name", "title", "description"]


@admin.register(AttachmentAnalysis)
class AttachmentAnalysisAdmin(admin.ModelAdmin):
    list_display = ["attachment", "status", "category", "confidence", "source", "updated_at"]
    list_filter = ["status", "category", "source"]
    search_fields = ["text", "attachment__filename"]
    exclude = ["thumbnail"]
    readonly_fields = [f.name for f in AttachmentAnalysis._meta.fields if f.name != "thumbnail"]

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False
