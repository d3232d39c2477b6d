from __future__ import annotations

from django import forms
from django.conf import global_settings
from django.contrib.postgres.forms import SimpleArrayField
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from assistants.models import Assistant, RequestType
from helpdesk.ai.chat_models import CHOICES as CHAT_MODEL_CHOICES


def _list_field(label: str | Promise, help_text: str | Promise) -> SimpleArrayField:
    return SimpleArrayField(
        forms.CharField(max_length=100), required=False, delimiter=",", label=label, help_text=help_text
    )


# Languages an assistant can answer in: Django's list of language names, one entry per language,
# shown in the reader's language (Django's own catalogue translates the names).
ANSWER_LANGUAGES = [
    (code, _(name))  # the names are marked for translation in Django's global settings
    for code, name in sorted(
        ((code, name) for code, name in global_settings.LANGUAGES if "-" not in code), key=lambda pair: pair[1]
    )
]


def _language_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        choices=ANSWER_LANGUAGES,
        initial="en",
        label=_("Language"),
        help_text=_("The language the assistant answers in."),
    )


class AssistantForm(forms.ModelForm):
    language = _language_field()
    tag_filters = _list_field(_("Tag filters"), _("Comma-separated; empty: all knowledge."))
    escalation_keywords = _list_field(
        _("Escalation keywords"), _("Comma-separated words or phrases that always escalate.")
    )
    always_escalate_types = _list_field(_("Always escalate types"), _("Comma-separated request types, e.g. complaint."))
    chat_model_choices = CHAT_MODEL_CHOICES  # offered beside the free-text model name (Ollama takes any)

    class Meta:
        model = Assistant
        fields = [
            "name",
            "policy",
            "tone",
            "language",
            "provider",
            "model_name",
            "strategy",
            "citation_style",
            "temperature",
            "max_new_tokens",
            "top_k",
            "min_similarity",
            "tag_filters",
            "history_turns",
            "escalation_keywords",
            "escalate_below_similarity",
            "always_escalate_types",
            "classifier_version",  # datasets
        ]
        widgets = {
            "policy": forms.Textarea(attrs={"rows": 5}),
            "model_name": forms.TextInput(attrs={"list": "chat-models"}),
        }


class AssistantCreateForm(forms.ModelForm):
    """Only what a new user must decide; everything else starts from safe defaults."""

    language = _language_field()

    class Meta:
        model = Assistant
        fields = ["name", "language", "tone"]


RequestTypeFormSet: type[forms.BaseInlineFormSet[RequestType, Assistant, forms.ModelForm[RequestType]]] = (
    forms.inlineformset_factory(
        Assistant,
        RequestType,
        fields=["name", "prompt", "examples"],
        extra=1,
        can_delete=True,
        widgets={"prompt": forms.Textarea(attrs={"rows": 2}), "examples": forms.Textarea(attrs={"rows": 4})},
    )
)
