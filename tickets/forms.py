"""Forms of the ticket pages and the customer portal; they only parse, the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

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
        label=_("Attachments"),
        accept=",".join(settings.TICKETS_ATTACHMENT_TYPES),
        help_text=format_lazy(_("{types}; up to {mb} MB each"), types=types, mb=settings.TICKETS_ATTACHMENT_MAX_MB),
    )


def _agent_field(required: bool = False) -> AgentChoiceField:
    return AgentChoiceField(
        queryset=User.objects.none(), required=required, empty_label=_("Unassigned"), label=_("Assignee")
    )


class TicketCreateForm(forms.Form):
    requester_email = forms.EmailField(label=_("Requester email"))
    requester_name = forms.CharField(label=_("Requester name"), max_length=200, required=False)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 6}))
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL)
    assignee = _agent_field()
    tags = TagsField(label=_("Tags"), required=False, help_text=_("Comma-separated, e.g. billing, vip"))
    category = forms.CharField(label=_("Category"), max_length=100, required=False)
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
        choices=[(ReplyKind.PUBLIC, _("Public reply")), (ReplyKind.INTERNAL_NOTE, _("Internal note"))],
        initial=ReplyKind.PUBLIC,
        widget=forms.RadioSelect,
    )
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label=_("Message"))
    attachments = _attachments_field()
    # The canned reply the text came from (its actions apply on send) and the last audit row the page saw.
    macro = forms.ModelChoiceField(queryset=Macro.objects.none(), required=False, widget=forms.HiddenInput)
    seen = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["macro"].queryset = macro_list()  # type: ignore[attr-defined]


BULK_ACTIONS = [("assign", _("Assign to")), ("status", _("Set status")), ("tag", _("Add tag"))]


class BulkForm(forms.Form):
    numbers = forms.TypedMultipleChoiceField(coerce=int, choices=[], error_messages={"required": _("Select tickets.")})
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
            self.add_error("status", _("Pick a status."))
        if action == "tag" and not (data.get("tag") or "").strip():
            self.add_error("tag", _("Type a tag."))
        return data


class PortalRequestForm(forms.Form):
    email = forms.EmailField(label=_("Your email"))
    name = forms.CharField(label=_("Your name"), max_length=200, required=False)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), label=_("How can we help?"))
    attachments = _attachments_field()
    # A field people never see; bots fill it in.
    website = forms.CharField(required=False, label=_("Leave this field empty"))


class PortalReplyForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label=_("Your reply"))
    attachments = _attachments_field()


class CSATForm(forms.Form):
    rating = forms.TypedChoiceField(
        coerce=int, choices=[(n, str(n)) for n in range(5, 0, -1)], widget=forms.RadioSelect, label=_("Your rating")
    )
    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
