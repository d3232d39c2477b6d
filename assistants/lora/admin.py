from django.contrib import admin

from assistants.lora.models import Adapter, Event


class EventInline(admin.TabularInline):
    model = Event
    extra = 0
    readonly_fields = ("action", "by", "note", "at")
    can_delete = False


@admin.register(Adapter)
class AdapterAdmin(admin.ModelAdmin):
    """Read-only here: training, activation and deletion go through the adapter pages and the API."""

    list_display = ("assistant", "number", "status", "step", "total_steps", "created_at", "activated_at")
    list_filter = ("status", "assistant")
    inlines = [EventInline]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
