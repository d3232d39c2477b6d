"""Forms of the ticket pages and the customer portal; they only parse, the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from helpdesk.accounts.models import User
from tickets.models import Priority, ReplyKind, Status
from tickets.selectors import agent_list
from tickets.services import parse_tags


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        if not data:
            return []
        items = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


class AgentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


class TagsField(forms.CharField):
    def clean(self, value: Any) -> list[str]:
        return parse_tags(super().clean(value) or "")


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
    attachments = MultipleFileField(required=False, label="Attachments")


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
    # A field people never see; bots fill it in.
    website = forms.CharField(required=False, label="Leave this field empty")


class PortalReplyForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="Your reply")


class CSATForm(forms.Form):
    rating = forms.TypedChoiceField(
        coerce=int, choices=[(n, str(n)) for n in range(5, 0, -1)], widget=forms.RadioSelect, label="Your rating"
    )
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
