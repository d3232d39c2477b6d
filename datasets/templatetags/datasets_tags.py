from __future__ import annotations

from typing import Any

from django import template

from datasets.formats import DELIMITER_NAMES

register = template.Library()

STATUS_CLASSES = {"done": "badge-ok", "ready": "badge-ok", "running": "badge-info", "writing": "badge-info",
                  "queued": "badge-muted", "pending": "badge-muted", "skipped": "badge-muted",
                  "review": "badge-warn", "failed": "badge-error"}  # fmt: skip


@register.filter
def status_class(status: str) -> str:
    return STATUS_CLASSES.get(status, "badge-muted")


@register.filter
def words(key: str) -> str:
    """A counts key as words: ``near_duplicates_moved`` → ``near duplicates moved``."""
    return str(key).replace("_", " ")


@register.filter
def is_dict(value: Any) -> bool:
    return isinstance(value, dict)


@register.filter
def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


@register.filter
def step_percent(step: dict[str, Any]) -> int:
    if step.get("status") == "done":
        return 100
    total = step.get("total") or 0
    return min(99, round(100 * (step.get("done") or 0) / total)) if total else 0


@register.filter
def get(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.filter
def delimiter_name(delimiter: str) -> str:
    """A CSV delimiter as a word (``;`` → ``semicolon``)."""
    return DELIMITER_NAMES.get(delimiter, repr(delimiter))
