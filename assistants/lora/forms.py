from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from assistants.lora.sources import registry
from assistants.lora.sources.dataset import version_choices
from assistants.lora.sources.upload import FORMATS
from assistants.lora.training import TARGET_MODULES, Hyperparameters

DEFAULTS = Hyperparameters()


def source_choices() -> list[tuple[str, str]]:
    return [(kind, gettext(source.label)) for kind, source in registry().items() if kind not in ("upload", "dataset")]


def dataset_version_choices() -> list[tuple[str, str]]:
    if "dataset" not in registry():
        return []
    return [("", gettext("None")), *version_choices()]


class TrainForm(forms.Form):
    sources = forms.MultipleChoiceField(choices=source_choices, widget=forms.CheckboxSelectMultiple, required=False)
    upload = forms.FileField(
        required=False,
        label=_("File of question/answer pairs"),
        help_text=_(
            'Optional: a .jsonl file with one {"question": …, "answer": …} per line, or a .csv with '
            "question and answer columns."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(FORMATS)}),
    )
    dataset_version = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", pgettext_lazy("dataset version", "None"))],
        label=_("Dataset version"),
        help_text=_("Optional: a version of a dataset (Datasets); its eval split is held out."),
    )
    epochs = forms.IntegerField(min_value=1, max_value=50, initial=DEFAULTS.epochs, label=_("Epochs"))
    learning_rate = forms.FloatField(
        min_value=1e-6, max_value=1e-2, initial=DEFAULTS.learning_rate, label=_("Learning rate")
    )
    rank = forms.IntegerField(min_value=1, max_value=256, initial=DEFAULTS.rank, label=_("Rank"))
    alpha = forms.IntegerField(min_value=1, max_value=1024, initial=DEFAULTS.alpha, label=_("Alpha"))
    target_modules = forms.MultipleChoiceField(
        choices=[(m, m) for m in TARGET_MODULES],
        initial=list(DEFAULTS.target_modules),
        widget=forms.CheckboxSelectMultiple,
        label=_("Target modules"),
    )
    batch_size = forms.IntegerField(min_value=1, max_value=64, initial=DEFAULTS.batch_size, label=_("Batch size"))
    max_length = forms.IntegerField(
        min_value=64,
        max_value=4096,
        initial=DEFAULTS.max_length,
        label=_("Max length"),
        help_text=_("Tokens per example; longer is slower."),
    )
    layers = forms.IntegerField(
        min_value=0,
        max_value=512,
        initial=DEFAULTS.layers,
        label=_("Top layers"),
        help_text=_("Adapt only the top N layers (0: all)."),
    )
    activate = forms.BooleanField(
        required=False,
        initial=True,
        label=_("Activate"),
        help_text=_("Activate it when done if the held-out loss drops enough."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        versions = dataset_version_choices()
        self.fields["dataset_version"].choices = versions  # type: ignore[attr-defined]
        self.has_dataset_versions = len(versions) > 1

    HYPERPARAMETERS = (
        "epochs",
        "learning_rate",
        "rank",
        "alpha",
        "target_modules",
        "batch_size",
        "max_length",
        "layers",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("sources") and not data.get("upload") and not data.get("dataset_version"):
            raise forms.ValidationError(_("Pick at least one source of training data, a dataset version or a file."))
        return data

    def chosen_sources(self) -> list[dict[str, Any]]:
        sources: list[dict[str, Any]] = [{"kind": kind} for kind in self.cleaned_data["sources"]]
        if self.cleaned_data.get("dataset_version"):
            sources.append({"kind": "dataset", "version": self.cleaned_data["dataset_version"]})
        return sources

    def hyperparameters(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.HYPERPARAMETERS}


class ActivateForm(forms.Form):
    override = forms.BooleanField(required=False)
    note = forms.CharField(required=False, max_length=1000)
