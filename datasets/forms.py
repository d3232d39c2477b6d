from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from datasets.formats import ACCEPTED
from datasets.models import Dataset, Row, Upload
from datasets.steps.base import Mapping

ROLES = (
    ("text", _("Text")),
    ("label", _("Label")),
    ("domain", _("Domain")),
    ("id", _("Id")),
    ("response", _("Response")),
)


class UploadForm(forms.Form):
    file = forms.FileField(
        help_text=format_lazy(
            _("{accepted}; up to {size} MB"), accepted=ACCEPTED, size=settings.DATASETS_MAX_UPLOAD_MB
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(ACCEPTED.split(", "))}),
    )
    dataset = forms.ModelChoiceField(queryset=Dataset.objects.none(), required=False, empty_label=_("A new dataset…"))
    name = forms.CharField(required=False, max_length=100, label=_("New dataset name"))
    delimiter = forms.ChoiceField(
        label=_("CSV delimiter"),
        required=False,
        initial="auto",
        choices=[("auto", _("Detect")), ("comma", _("Comma ,")), ("semicolon", _("Semicolon ;")), ("tab", _("Tab")),
                 ("pipe", _("Pipe |"))],
        help_text=_("For CSV and TSV files; detected from the first rows unless you pick one."),
    )  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dataset"].queryset = Dataset.objects.order_by("name")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("dataset") and not (data.get("name") or "").strip():
            raise forms.ValidationError(_("Pick a dataset or name a new one."))
        return data


class ExportForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[(Upload.Source.TICKETS, _("Tickets")), (Upload.Source.DRAFT_PAIRS, _("Draft pairs"))]
    )
    dataset = forms.ModelChoiceField(queryset=Dataset.objects.none(), required=False)
    name = forms.CharField(required=False, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dataset"].queryset = Dataset.objects.all()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("dataset") and not (data.get("name") or "").strip():
            data["name"] = str(
                _("Helpdesk tickets") if data.get("kind") == Upload.Source.TICKETS else _("Agent replies")
            )
        return data


class MappingForm(forms.Form):
    """The column roles of an upload and the options of the run."""

    text = forms.ChoiceField(label=_("Text"))
    label = forms.ChoiceField(label=_("Label"), required=False)
    domain = forms.ChoiceField(label=_("Domain"), required=False)
    id = forms.ChoiceField(label=_("Id"), required=False)
    response = forms.ChoiceField(label=_("Response"), required=False, help_text=_("For instruction → response data."))
    meta = forms.MultipleChoiceField(label=_("Keep as metadata"), required=False, widget=forms.CheckboxSelectMultiple)
    labels = forms.CharField(
        required=False,
        max_length=2000,
        label=_("Labels for unlabeled rows"),
        help_text=_("Comma-separated; only needed when the file has no labels yet."),
    )
    augment = forms.BooleanField(
        required=False, label=_("Augment"), help_text=_("Synthetic variants of confident rows, quality-checked.")
    )
    balance_labels = forms.BooleanField(
        required=False, label=_("Balance labels"), help_text=_("Cut every label to the size of the smallest.")
    )
    balance_domains = forms.BooleanField(
        required=False, label=_("Balance domains"), help_text=_("As many rows from each domain.")
    )
    use_llm = forms.BooleanField(required=False, initial=True, label=_("Ask the LLM when unsure"))
    label_with_llm = forms.BooleanField(required=False, initial=False, label=_("Ask the LLM about unsure rows"))
    create_version = forms.BooleanField(
        required=False,
        initial=True,
        label=_("Create version"),
        help_text=_("Write the version as soon as nothing waits for review."),
    )
    tag = forms.CharField(
        required=False, max_length=32, label=_("Tag"), help_text=_("Empty: the next one (v1.0.0, v1.1.0, …).")
    )
    message = forms.CharField(required=False, max_length=500, label=pgettext_lazy("version", "Message"))

    def __init__(self, *args: Any, upload: Upload, **kwargs: Any) -> None:
        kwargs["initial"] = {**upload.mapping, "use_llm": True, "create_version": True}
        super().__init__(*args, **kwargs)
        columns = [(c, c) for c in upload.columns]
        self.fields["text"].choices = columns  # type: ignore[attr-defined]
        for role in ("label", "domain", "id", "response"):
            self.fields[role].choices = [("", "—"), *columns]  # type: ignore[attr-defined]
        self.fields["meta"].choices = columns  # type: ignore[attr-defined]

    def mapping(self) -> Mapping:
        data = self.cleaned_data
        return Mapping(text=data["text"], label=data["label"], domain=data["domain"], id=data["id"],
                       response=data["response"], meta=tuple(data["meta"]))  # fmt: skip

    def options(self) -> dict[str, Any]:
        keys = (
            "augment",
            "balance_labels",
            "balance_domains",
            "use_llm",
            "label_with_llm",
            "create_version",
            "tag",
            "message",
            "labels",
        )
        return {key: self.cleaned_data[key] for key in keys}


class WriteForm(forms.Form):
    tag = forms.CharField(required=False, max_length=32)
    message = forms.CharField(required=False, max_length=500)
    balance_labels = forms.BooleanField(required=False)
    balance_domains = forms.BooleanField(required=False)


class DecisionForm(forms.Form):
    action = forms.ChoiceField(choices=[("accept", "accept"), ("change", "change"), ("reject", "reject")])
    label = forms.CharField(required=False, max_length=100)


class ReviewFilterForm(forms.Form):
    filter_label = forms.CharField(required=False, max_length=100)
    filter_reason = forms.ChoiceField(choices=[("", _("Any reason")), *Row.Reason.choices], required=False)


class BulkAcceptForm(ReviewFilterForm):
    min_precision = forms.FloatField(min_value=0.5, max_value=1.0, initial=0.95, label=_("Expected precision"))
