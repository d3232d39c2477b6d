"""Admin of integrations: connections (secrets write-only), outbox, links, sync log, webhooks."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from helpdesk import crypto
from integrations.models import (
    Connection,
    ExternalRef,
    IntegrationSyncLog,
    OutboxItem,
    WebhookDelivery,
    WebhookEndpoint,
)
from integrations.services import reentry_errors
from integrations.services.outbox import outbox_retry


class ConnectionAdminForm(forms.ModelForm):
    base_url = forms.URLField(label=_("base URL"), max_length=300, assume_scheme="https")
    token = forms.CharField(
        label=_("token"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the stored token (enter it again when the address or account changes)."),
    )
    webhook_secret = forms.CharField(
        label=_("webhook secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the stored secret (enter it again when the address or account changes)."),
    )

    class Meta:
        model = Connection
        fields = [
            "system",
            "enabled",
            "base_url",
            "username",
            "project_key",
            "issue_type",
            "group_id",
            "priority_map",
            "send_tags",
            "category_field",
            "resolved_status",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        if "base_url" in data and "username" in data:
            # Compared with the stored row: the form's instance takes the submitted values after clean().
            stored = Connection.objects.filter(pk=self.instance.pk).first() if self.instance.pk else None
            if stored is not None:
                errors = reentry_errors(
                    conn=stored,
                    base_url=data["base_url"],
                    username=data["username"],
                    token=data.get("token") or "",
                    webhook_secret=data.get("webhook_secret") or "",
                )
                for name, message in errors.items():
                    self.add_error(name, message)
        return data

    def save(self, commit: bool = True) -> Connection:
        conn = super().save(commit=False)
        if self.cleaned_data.get("token"):
            conn.token_encrypted = crypto.encrypt(self.cleaned_data["token"])
        if self.cleaned_data.get("webhook_secret"):
            conn.webhook_secret_encrypted = crypto.encrypt(self.cleaned_data["webhook_secret"])
        if commit:
            conn.save()
        return conn


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    form = ConnectionAdminForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["system", "base_url", "enabled", "last_success_at", "last_failure_at"]
    readonly_fields = [
        "last_success_at",
        "last_failure_at",
        "last_error",
        "last_test_at",
        "last_test_result",
        "last_pull_at",
        "server_info",
    ]


@admin.action(description=_("Retry the selected failed escalations"))
def retry_selected(modeladmin: Any, request: HttpRequest, queryset: QuerySet[OutboxItem]) -> None:
    count = sum(1 for item in queryset if outbox_retry(item=item))
    modeladmin.message_user(
        request,
        ngettext("%(count)d escalation queued again.", "%(count)d escalations queued again.", count) % {"count": count},
    )


@admin.register(OutboxItem)
class OutboxItemAdmin(admin.ModelAdmin):
    list_display = ["id", "ticket", "connection", "action", "status", "attempts", "next_attempt_at", "last_error"]
    list_filter = ["status", "action", "connection"]
    readonly_fields = [f.name for f in OutboxItem._meta.fields]
    actions = [retry_selected]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ExternalRef)
class ExternalRefAdmin(admin.ModelAdmin):
    list_display = ["key", "system", "instance", "ticket", "remote_status", "last_synced_at", "missing_since"]
    list_filter = ["system", "remote_resolved", "instance"]
    search_fields = ["key"]


@admin.register(IntegrationSyncLog)
class IntegrationSyncLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "system", "direction", "operation", "outcome", "status_code", "duration_ms", "ticket"]
    list_filter = ["system", "direction", "outcome", "operation"]
    readonly_fields = [f.name for f in IntegrationSyncLog._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "events", "active"]
    exclude = ["secret_encrypted"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # added on the Webhooks page, which shows the new secret once


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "event", "endpoint", "status", "attempts", "last_status_code", "response_ms"]
    list_filter = ["status", "event"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
