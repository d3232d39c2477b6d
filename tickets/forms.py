"""Forms of the ticket pages and the customer portal; they only parse, the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from helpdesk.accounts.models import User
from helpdesk.forms import MultipleFileField
from tickets.models import Macro, Priority, ReplyKind, Status
from tickets.selectors import agent_list, macro_list
from tickets.services import parse_tags


class AgentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


class TagsField(forms.CharField):
    def clean(self, value: Any) -> list[str]:
        return parse_tags(super().clean(value) or "")


def _attachments_field() -> MultipleFileField:
    types = ", ".join(settings.TICKETS_ATTACHMENT_TYPES)
    return MultipleFileField(
        required=False,
        label="Attachments",
        accept=",".join(settings.TICKETS_ATTACHMENT_TYPES),
        help_text=f"{types}; up to {settings.TICKETS_ATTACHMENT_MAX_MB} MB each",
    )


def _agent_field(required: bool = False) -> AgentChoiceField:
    return AgentChoiceField(queryset=User.objects.none(), required=required, empty_label="Unassigned")


class TicketCreateForm(forms.Form):
    requester_email = forms.EmailField(label="Requester email")
    requester_name = forms.CharField(label="Requester name", max_length=200, required=False)
    subject = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}))
    priority = forms.ChoiceField(choices=Priority.choices, initial=Priority.NORMAL)
    assignee = _agent_field()
    tags = TagsField(required=False, help_text="Comma-separated, e.g. billing, vip")
    category = forms.CharField(max_length=100, required=False)
    attachments = _attachments_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = agent_list()  # type: ignore[attr-defined]


class TicketUpdateForm(forms.Form):
    """The inline edits of the ticket header; only the fields sent are changed."""

    status = forms.ChoiceField(choices=Status.choices, required=False)
    priority = forms.ChoiceField(choices=Priority.choices, required=False)
    assignee = _agent_field()
    tags = TagsField(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = agent_list()  # type: ignore[attr-defined]

    def changes(self) -> dict[str, Any]:
        """Only the fields present in the submitted data, so one select changes one field."""
        return {name: self.cleaned_data[name] for name in self.fields if name in self.data}


class ReplyForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[(ReplyKind.PUBLIC, "Public reply"), (ReplyKind.INTERNAL_NOTE, "Internal note")],
        initial=ReplyKind.PUBLIC,
        widget=forms.RadioSelect,
    )
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="Message")
    attachments = _attachments_field()
    # The canned reply the text came from (its actions apply on send) and the last audit row the page saw.
    macro = forms.ModelChoiceField(queryset=Macro.objects.none(), required=False, widget=forms.HiddenInput)
    seen = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["macro"].queryset = macro_list()  # type: ignore[attr-defined]


BULK_ACTIONS = [("assign", "Assign to"), ("status", "Set status"), ("tag", "Add tag")]


class BulkForm(forms.Form):
    numbers = forms.TypedMultipleChoiceField(coerce=int, choices=[], error_messages={"required": "Select tickets."})
    action = forms.ChoiceField(choices=BULK_ACTIONS)
    assignee = forms.CharField(required=False)
    status = forms.ChoiceField(choices=[("", "—"), *Status.choices], required=False)
    tag = forms.CharField(required=False, max_length=50)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any number is accepted here; the selector keeps only this tenant's tickets.
        numbers = self.data.getlist("numbers") if hasattr(self.data, "getlist") else []
        self.fields["numbers"].choices = [(n, n) for n in numbers]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        action = data.get("action")
        if action == "status" and not data.get("status"):
            self.add_error("status", "Pick a status.")
        if action == "tag" and not (data.get("tag") or "").strip():
            self.add_error("tag", "Type a tag.")
        return data


class PortalRequestForm(forms.Form):
    email = forms.EmailField(label="Your email")
    name = forms.CharField(label="Your name", max_length=200, required=False)
    subject = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), label="How can we help?")
    attachments = _attachments_field()
    # A field people never see; bots fill it in.
    website = forms.CharField(required=False, label="Leave this field empty")


class PortalReplyForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="Your reply")
    attachments = _attachments_field()


class CSATForm(forms.Form):
    rating = forms.TypedChoiceField(
        coerce=int, choices=[(n, str(n)) for n in range(5, 0, -1)], widget=forms.RadioSelect, label="Your rating"
    )
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
