from __future__ import annotations

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from helpdesk.ai import MODEL_CHOICES
from helpdesk.forms import MultipleFileField
from knowledge.extract import ACCEPTED_EXTENSIONS
from knowledge.models import Visibility
from knowledge.search import MAX_TOP_K, SearchMode

LANGUAGE_CHOICES = [("", _("Detect")), ("en", _("English")), ("ru", _("Russian")), ("de", _("German")),
                    ("fr", _("French")), ("es", _("Spanish")), ("it", _("Italian")), ("pt", _("Portuguese")),
                    ("nl", _("Dutch"))]  # fmt: skip


SEARCH_MODE_LABELS = {"hybrid": _("Hybrid"), "vector": _("Vector"), "keyword": _("Keyword")}


def parse_tags(raw: str) -> list[str]:
    return [t for t in (part.strip() for part in raw.split(",")) if t]


VISIBILITY_HELP = _(
    "Public documents may answer customers in the website widget and the portal; internal ones only staff."
)


class DocumentMetaForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES, required=False)
    tags = forms.CharField(label=_("Tags"), required=False, max_length=500, help_text=_("Comma-separated"))
    visibility = forms.ChoiceField(
        label=_("Visibility"),
        choices=Visibility.choices,
        initial=Visibility.INTERNAL,
        required=False,
        help_text=VISIBILITY_HELP,
    )

    def clean_tags(self) -> list[str]:
        return parse_tags(self.cleaned_data["tags"])

    def clean_visibility(self) -> str:
        return self.cleaned_data["visibility"] or Visibility.INTERNAL


class UploadForm(DocumentMetaForm):
    files = MultipleFileField(  # type: ignore[assignment]
        accept=",".join(ACCEPTED_EXTENSIONS),
        label=_("Files"),
        help_text=format_lazy(_("Accepted: {extensions}"), extensions=", ".join(ACCEPTED_EXTENSIONS)),
        error_messages={"required": _("Choose at least one file.")},
    )


class UrlForm(DocumentMetaForm):
    url = forms.URLField(label=_("URL"), max_length=2000, assume_scheme="https")
    title = forms.CharField(label=_("Title"), required=False, max_length=300)


class TextForm(DocumentMetaForm):
    title = forms.CharField(label=_("Title"), max_length=300)
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 6}), max_length=2_000_000)


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Query"), max_length=1000)
    mode = forms.ChoiceField(
        label=_("Mode"),
        choices=[(m.value, SEARCH_MODE_LABELS.get(m.value, m.value)) for m in SearchMode],
        initial="hybrid",
    )
    top_k = forms.IntegerField(label=_("Results"), min_value=1, max_value=MAX_TOP_K, initial=10, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=[("", _("Any")), *LANGUAGE_CHOICES[1:]], required=False)
    tags = forms.CharField(label=_("Tags"), required=False, max_length=500)
    visibility = forms.ChoiceField(
        label=_("Visibility"),
        choices=[
            ("", _("Internal and public")),
            ("public", _("Public only (what customers get)")),
            ("internal", _("Internal only")),
        ],
        required=False,
    )

    def clean_tags(self) -> list[str]:
        return parse_tags(self.cleaned_data["tags"])


class VisibilityForm(forms.Form):
    visibility = forms.ChoiceField(label=_("Visibility"), choices=Visibility.choices)


class EmbeddingModelForm(forms.Form):
    """The embedding model to switch the knowledge base to (any but the current one)."""

    model = forms.ChoiceField(label=_("Embedding model"), choices=MODEL_CHOICES)

    def __init__(self, *args: object, current: str, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.current = current
        model = self.fields["model"]
        assert isinstance(model, forms.ChoiceField)
        model.choices = [(key, label) for key, label in MODEL_CHOICES if key != current]

    def clean_model(self) -> str:
        model = str(self.cleaned_data["model"])
        if model == self.current:
            raise forms.ValidationError(_("The knowledge base already uses this model."))
        return model
