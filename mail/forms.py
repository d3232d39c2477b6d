"""The mailbox form: the password is written, never shown again."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from mail.models import Mailbox


class MailboxForm(forms.ModelForm):
    password = forms.CharField(
        label=_("IMAP password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Stored encrypted and never shown again; leave empty to keep the stored one."),
    )

    class Meta:
        model = Mailbox
        fields = [
            "name",
            "address",
            "from_name",
            "enabled",
            "imap_host",
            "imap_port",
            "imap_security",
            "imap_username",
            "imap_folder",
            "imap_processed_folder",
        ]


class FailedToTicketForm(forms.Form):
    email = forms.EmailField(
        label=_("Customer's address"),
        required=False,
        help_text=_("Needed only when the message has no sender address we can read."),
    )
