"""Form pieces shared by the apps."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; each is judged on its own by the service that stores it.

    Django's ``FileField`` rejects the whole field when one file is empty ("The submitted
    file is empty."); here the good files go through and the service names the bad ones.
    """

    widget = MultipleFileInput

    def __init__(self, *args: Any, accept: str = "", **kwargs: Any) -> None:
        if accept:
            kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": accept}))
        super().__init__(*args, **kwargs)

    def to_python(self, data: Any) -> list[UploadedFile]:  # type: ignore[override]
        items = data if isinstance(data, list | tuple) else [data]
        return [item for item in items if isinstance(item, UploadedFile)]

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = self.to_python(data)
        if self.required and not files:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return files

    def bound_data(self, data: Any, initial: Any) -> Any:
        return data
