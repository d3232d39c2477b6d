"""The profile a person edits themselves: name, time zone and language."""

from __future__ import annotations

import zoneinfo
from functools import cache

from django import forms
from django.conf import settings
from django.utils.functional import Promise as StrPromise
from django.utils.translation import gettext_lazy as _

from helpdesk.accounts.models import User


@cache
def timezone_choices() -> list[tuple[str, str | StrPromise]]:
    names = sorted(n for n in zoneinfo.available_timezones() if "/" in n and not n.startswith(("Etc/", "SystemV/")))
    return [("", _("Server default")), ("UTC", "UTC"), *((n, n.replace("_", " ")) for n in names)]


def language_choices() -> list[tuple[str, str | StrPromise]]:
    """Each language in its own name; empty follows the team's default language."""
    return [("", _("Team default")), *settings.LANGUAGES]


class ProfileForm(forms.ModelForm):
    timezone = forms.ChoiceField(
        choices=timezone_choices,
        required=False,
        label=_("Time zone"),
        help_text=_("Times on every page and in e-mails."),
    )

    language = forms.ChoiceField(
        choices=language_choices,
        required=False,
        label=_("Language"),
        help_text=_("The language of every page and of e-mails to you."),
    )

    class Meta:
        model = User
        fields = ["full_name", "timezone", "language"]
        labels = {"full_name": _("Name")}
