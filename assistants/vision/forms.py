from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from assistants.vision.models import ScreenshotLabel


class LabelForm(forms.Form):
    name = forms.SlugField(
        max_length=50, label=_("Name"), help_text=_("Stored as the ticket's category, e.g. payment_problem.")
    )
    title = forms.CharField(max_length=100, label=_("Title"))
    description = forms.CharField(
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("Description"),
        help_text=_("What such a screenshot shows; CLIP compares images with it."),
    )
    examples = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        label=_("Examples"),
        help_text=_("Text such screenshots contain, one per line; the text classifier learns from them."),
    )
    is_fallback = forms.BooleanField(required=False, label=_("Fallback for images with nothing to go on"))

    @staticmethod
    def initial_for(label: ScreenshotLabel) -> dict[str, Any]:
        return {f: getattr(label, f) for f in ("name", "title", "description", "examples", "is_fallback")}

    def clean_examples(self) -> str:
        lines = [line.strip() for line in self.cleaned_data["examples"].splitlines() if line.strip()]
        if any(len(line) > 500 for line in lines):
            raise forms.ValidationError(_("Keep each example under 500 characters."))
        if len(lines) > 200:
            raise forms.ValidationError(_("Up to 200 examples per label."))
        return "\n".join(lines)
