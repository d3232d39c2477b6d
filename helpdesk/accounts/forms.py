"""The profile a person edits themselves: name and time zone."""

from __future__ import annotations

import zoneinfo
from functools import cache

from django import forms

from helpdesk.accounts.models import User


@cache
def timezone_choices() -> list[tuple[str, str]]:
    names = sorted(n for n in zoneinfo.available_timezones() if "/" in n and not n.startswith(("Etc/", "SystemV/")))
    return [("", "Server default"), ("UTC", "UTC"), *((n, n.replace("_", " ")) for n in names)]


class ProfileForm(forms.ModelForm):
    timezone = forms.ChoiceField(
        choices=timezone_choices, required=False, label="Time zone", help_text="Times on every page and in e-mails."
    )

    class Meta:
        model = User
        fields = ["full_name", "timezone"]
        labels = {"full_name": "Name"}
