from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from datasets.models import Dataset, Run, Version
from datasets.templatetags.datasets_tags import step_status, step_title


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ["name", "current_version", "created_at", "updated_at"]
    search_fields = ["name", "description"]
    raw_id_fields = ["current_version"]


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = ["id", "dataset", "status", "created_by", "created_at", "finished_at"]
    list_filter = ["status"]
    readonly_fields = ["dataset", "upload", "mapping", "options", "status", "step_states", "error", "version",
                       "created_by", "created_at", "started_at", "finished_at"]  # fmt: skip
    exclude = ["steps"]

    @admin.display(description=_("Steps"))
    def step_states(self, run: Run) -> str:
        """Each step's title in the reader's language and its state (the stored titles are English)."""
        return format_html_join(
            mark_safe("<br>"),
            "{}: {}",
            ((step_title(s.get("title", "")), step_status(s.get("status", ""))) for s in run.steps),
        )


@admin.register(Version)
class VersionAdmin(admin.ModelAdmin):
    """Versions are immutable: the admin shows them; only the message can be corrected."""

    list_display = ["dataset", "tag", "train_count", "eval_count", "author", "created_at"]
    list_filter = ["dataset"]
    search_fields = ["tag", "message"]
    readonly_fields = ["dataset", "run", "parent", "tag", "author", "content_hash", "train_count", "eval_count",
                       "counts", "report", "files", "created_at"]  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # pruning deletes old versions with their files; nothing else does
