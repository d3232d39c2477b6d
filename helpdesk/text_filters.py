"""Template filters every template has without ``{% load %}`` (``TEMPLATES``' ``builtins``)."""

from __future__ import annotations

from django import template

from helpdesk.stored_text import shown_text

register = template.Library()


@register.filter
def shown(value: str | None) -> str:
    """A text a worker stored (an error, why a job stopped) in the reader's language."""
    return shown_text(value)
