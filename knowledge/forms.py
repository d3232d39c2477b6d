from __future__ import annotations

from django import forms

from helpdesk.ai import MODEL_CHOICES
from helpdesk.forms import MultipleFileField
from knowledge.extract import ACCEPTED_EXTENSIONS
from knowledge.models import Visibility
from knowledge.search import MAX_TOP_K, SearchMode

LANGUAGE_CHOICES = [("", "Detect"), ("en", "English"), ("ru", "Russian"), ("de", "German"), ("fr", "French"),
                    ("es", "Spanish"), ("it", "Italian"), ("pt", "Portuguese"), ("nl", "Dutch")]  # fmt: skip


def parse_tags(raw: str) -> list[str]:
    return [t for t in (part.strip() for part in raw.split(",")) if t]


VISIBILITY_HELP = (
    "Public documents may answer customers in the website widget and the portal; internal ones only staff."
)


class DocumentMetaForm(forms.Form):
    language = forms.ChoiceField(choices=LANGUAGE_CHOICES, required=False)
    tags = forms.CharField(required=False, max_length=500, help_text="Comma-separated")
    visibility = forms.ChoiceField(
        choices=Visibility.choices, initial=Visibility.INTERNAL, required=False, help_text=VISIBILITY_HELP
    )

    def clean_tags(self) -> list[str]:
        return parse_tags(self.cleaned_data["tags"])

    def clean_visibility(self) -> str:
        return self.cleaned_data["visibility"] or Visibility.INTERNAL


class UploadForm(DocumentMetaForm):
    files = MultipleFileField(  # type: ignore[assignment]
        accept=",".join(ACCEPTED_EXTENSIONS),
        help_text=f"Accepted: {', '.join(ACCEPTED_EXTENSIONS)}",
        error_messages={"required": "Choose at least one file."},
    )


class UrlForm(DocumentMetaForm):
    url = forms.URLField(max_length=2000, assume_scheme="https")
    title = forms.CharField(required=False, max_length=300)


class TextForm(DocumentMetaForm):
    title = forms.CharField(max_length=300)
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), max_length=2_000_000)


class SearchForm(forms.Form):
    q = forms.CharField(label="Query", max_length=1000)
    mode = forms.ChoiceField(choices=[(m.value, m.value.title()) for m in SearchMode], initial="hybrid")
    top_k = forms.IntegerField(min_value=1, max_value=MAX_TOP_K, initial=10, required=False)
    language = forms.ChoiceField(choices=[("", "Any"), *LANGUAGE_CHOICES[1:]], required=False)
    tags = forms.CharField(required=False, max_length=500)
    visibility = forms.ChoiceField(
        choices=[
            ("", "Internal and public"),
            ("public", "Public only (what customers get)"),
            ("internal", "Internal only"),
        ],
        required=False,
    )

    def clean_tags(self) -> list[str]:
        return parse_tags(self.cleaned_data["tags"])


class VisibilityForm(forms.Form):
    visibility = forms.ChoiceField(choices=Visibility.choices)


class EmbeddingModelForm(forms.Form):
    """The embedding model to switch the knowledge base to (any but the current one)."""

    model = forms.ChoiceField(choices=MODEL_CHOICES)

    def __init__(self, *args: object, current: str, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.current = current
        model = self.fields["model"]
        assert isinstance(model, forms.ChoiceField)
        model.choices = [(key, label) for key, label in MODEL_CHOICES if key != current]

    def clean_model(self) -> str:
        model = str(self.cleaned_data["model"])
        if model == self.current:
            raise forms.ValidationError("The knowledge base already uses this model.")
        return model
