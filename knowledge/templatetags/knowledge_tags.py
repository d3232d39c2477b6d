from __future__ import annotations

import re
from collections.abc import Sequence

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def highlight(text: str, terms: Sequence[str]) -> SafeString:
    """``text`` escaped, with each of ``terms`` (matched words) wrapped in <mark>."""
    escaped = escape(text)
    words = sorted({escape(t) for t in terms if t}, key=len, reverse=True)
    if not words:
        return mark_safe(escaped)  # noqa: S308 - escaped above
    pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(w) for w in words) + r")(?!\w)", re.IGNORECASE)
    return mark_safe(pattern.sub(r"<mark>\1</mark>", escaped))  # noqa: S308 - only <mark> added to escaped text


STATUS_CLASSES = {"uploaded": "badge-muted", "processing": "badge-info", "indexed": "badge-ok", "failed": "badge-error"}


@register.filter
def status_class(status: str) -> str:
    return STATUS_CLASSES.get(status, "badge-muted")
