from django.contrib import admin

from assistants.models import Assistant, RequestType


class RequestTypeInline(admin.StackedInline):
    model = RequestType
    extra = 0


@admin.register(Assistant)
class AssistantAdmin(admin.ModelAdmin):
    list_display = ("name", "provider", "model_name", "language", "is_default", "updated_at")
    list_filter = ("provider", "language", "is_default")
    search_fields = ("name", "policy")
    inlines = [RequestTypeInline]
