"""The Zendesk connection form: the common fields plus the group that receives escalations."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from integrations.forms import ConnectionForm


class ZendeskConnectionForm(ConnectionForm):
    group_id = forms.IntegerField(
        label=_("Group id"), required=False, min_value=1, help_text=_("The group that receives escalations.")
    )

    def service_kwargs(self) -> dict[str, Any]:
        return {**super().service_kwargs(), "group_id": self.cleaned_data.get("group_id")}
