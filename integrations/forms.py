"""Forms of the integrations pages; they parse, the services decide. Secrets are write-only fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from integrations.models import Connection, WebhookEvent
from integrations.registry import system, system_choices
from tickets.models import Priority, Status


class SecretInput(forms.PasswordInput):
    """Never renders a stored value back (render_value=False), whatever was saved."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(render_value=False, **kwargs)


class ConnectionForm(forms.Form):
    base_url = forms.URLField(label=_("Address"), max_length=300, assume_scheme="https")
    username = forms.CharField(label=_("Account email"), max_length=200)
    token = forms.CharField(
        label=_("API token"),
        required=False,
        widget=SecretInput(),
        help_text=_("Leave empty to keep the stored token (enter it again when the address or account changes)."),
    )
    webhook_secret = forms.CharField(
        label=_("Webhook secret"),
        required=False,
        widget=SecretInput(),
        help_text=_(
            "The secret the tracker signs its webhooks with; leave empty to keep the stored one "
            "(enter it again when the address or account changes)."
        ),
    )
    send_tags = forms.BooleanField(label=_("Send the ticket's tags"), required=False, initial=True)
    category_field = forms.CharField(
        label=_("Category goes to"),
        required=False,
        max_length=100,
        help_text=_("Empty: not sent; 'label': as a label/tag; or a custom field id."),
    )
    resolved_status = forms.ChoiceField(
        label=_("When the issue is resolved, set the ticket to"), choices=Status.choices, initial=Status.SOLVED
    )
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)

    def __init__(self, *args: Any, system: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.system = system
        for value, label in Priority.choices:
            self.fields[f"priority_{value}"] = forms.CharField(
                label=format_lazy(_("{priority} priority as"), priority=label), required=False, max_length=50
            )

    @classmethod
    def for_connection(cls, conn: Connection | None, key: str) -> ConnectionForm:
        if conn is None:
            mapping = system(key).priority_map
            return cls(system=key, initial={f"priority_{k}": v for k, v in mapping.items()})
        initial: dict[str, Any] = {
            "base_url": conn.base_url,
            "username": conn.username,
            "send_tags": conn.send_tags,
            "category_field": conn.category_field,
            "resolved_status": conn.resolved_status,
            "enabled": conn.enabled,
            "project_key": conn.project_key,
            "issue_type": conn.issue_type,
            "group_id": conn.group_id,
            **{f"priority_{k}": v for k, v in (conn.priority_map or {}).items()},
        }
        return cls(system=key, initial=initial)

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "system": self.system,
            "base_url": data["base_url"],
            "username": data["username"],
            "token": data.get("token") or "",
            "webhook_secret": data.get("webhook_secret") or "",
            "send_tags": bool(data.get("send_tags")),
            "category_field": data.get("category_field") or "",
            "resolved_status": data["resolved_status"],
            "enabled": bool(data.get("enabled")),
            "priority_map": {value: data.get(f"priority_{value}") or "" for value in Priority.values},
        }


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(label="URL", max_length=500, assume_scheme="https")
    description = forms.CharField(required=False, max_length=200, label=_("Description"))
    events = forms.MultipleChoiceField(
        choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple, label=_("Events")
    )
    active = forms.BooleanField(required=False, initial=True, label=_("Active"))


class EscalateForm(forms.Form):
    system = forms.ChoiceField(choices=system_choices)
    source = forms.ChoiceField(choices=[("agent", "agent"), ("ai", "ai")], required=False)
    reasons = forms.CharField(required=False, max_length=2000)
