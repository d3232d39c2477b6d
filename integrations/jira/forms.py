"""The Jira connection form: the common fields plus the project and issue type."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from integrations.forms import ConnectionForm


class JiraConnectionForm(ConnectionForm):
    project_key = forms.CharField(label=_("Project key"), max_length=50, help_text=_("e.g. SUP"))
    issue_type = forms.CharField(label=_("Issue type"), max_length=50, initial="Task")

    def service_kwargs(self) -> dict[str, Any]:
        return {
            **super().service_kwargs(),
            "project_key": self.cleaned_data["project_key"],
            "issue_type": self.cleaned_data["issue_type"],
        }
