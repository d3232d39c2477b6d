from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from assistants.models import Assistant, RequestType, WidgetKey
from assistants.services import widget_key_revoke


class RequestTypeInline(admin.StackedInline):
    model = RequestType
    extra = 0


@admin.register(Assistant)
class AssistantAdmin(admin.ModelAdmin):
    list_display = ("name", "provider", "model_name", "answers_with", "language", "is_default", "updated_at")
    list_filter = ("provider", "language", "is_default")
    search_fields = ("name", "policy")
    inlines = [RequestTypeInline]

    @admin.display(description=_("Answers with"))
    def answers_with(self, assistant: Assistant) -> str:
        return assistant.chat_model_label


@admin.register(WidgetKey)
class WidgetKeyAdmin(admin.ModelAdmin):
    """Keys are created on the assistant's page (origins are checked there); here they are listed and revoked."""

    list_display = ("__str__", "assistant", "origins", "is_active", "created_at")
    list_filter = ("is_active", "assistant")
    search_fields = ("key", "allowed_origins")
    readonly_fields = ("assistant", "key", "allowed_origins", "is_active", "created_at")
    actions = ["revoke"]

    @admin.display(description=_("Allowed sites"))
    def origins(self, obj: WidgetKey) -> str:
        return ", ".join(obj.allowed_origins)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Revoke selected widget keys"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[WidgetKey]) -> None:
        for widget_key in queryset.filter(is_active=True):
            widget_key_revoke(widget_key=widget_key)
        messages.success(request, gettext("The selected widget keys are revoked."))
