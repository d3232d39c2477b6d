from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext, gettext_lazy

from datasets.formats import DELIMITER_NAMES

register = template.Library()

STATUS_CLASSES = {"done": "badge-ok", "ready": "badge-ok", "running": "badge-info", "writing": "badge-info",
                  "queued": "badge-muted", "pending": "badge-muted", "skipped": "badge-muted",
                  "review": "badge-warn", "failed": "badge-error"}  # fmt: skip


@register.filter
def status_class(status: str) -> str:
    return STATUS_CLASSES.get(status, "badge-muted")


# The counts keys the pipeline's steps report, as the run page shows them; a key not listed here
# (a label or generator name inside a nested count) is shown as it is, underscores as spaces.
COUNT_WORDS = {
    "auto_labeled": gettext_lazy("auto labeled"),
    "balanced_away_domains": gettext_lazy("balanced away (domains)"),
    "balanced_away_labels": gettext_lazy("balanced away (labels)"),
    "candidates": gettext_lazy("candidates"),
    "checked": gettext_lazy("checked"),
    "deterministic_variants": gettext_lazy("deterministic variants"),
    "disputed": gettext_lazy("disputed"),
    "domains": gettext_lazy("domains"),
    "done": gettext_lazy("done"),
    "duplicate": gettext_lazy("duplicate"),
    "duplicate_conflicts": gettext_lazy("duplicate conflicts"),
    "duplicates": gettext_lazy("duplicates"),
    "empty": gettext_lazy("empty"),
    "failed_rules": gettext_lazy("failed rules"),
    "generators": gettext_lazy("generators"),
    "imported": gettext_lazy("imported"),
    "kept": gettext_lazy("kept"),
    "labeled": gettext_lazy("labeled"),
    "labels": gettext_lazy("labels"),
    "llm_agreed": gettext_lazy("LLM agreed"),
    "llm_asked": gettext_lazy("LLM asked"),
    "llm_calls": gettext_lazy("LLM calls"),
    "llm_errors": gettext_lazy("LLM errors"),
    "llm_rows": gettext_lazy("LLM rows"),
    "llm_variants": gettext_lazy("LLM variants"),
    "low_confidence": gettext_lazy("low confidence"),
    "made": gettext_lazy("made"),
    "model": gettext_lazy("model"),
    "novel": gettext_lazy("novel"),
    "read": gettext_lazy("read"),
    "reasons": gettext_lazy("reasons"),
    "rejected": gettext_lazy("rejected"),
    "relabel_disagrees": gettext_lazy("relabel disagrees"),
    "relabel_unsure": gettext_lazy("relabel unsure"),
    "source_rows": gettext_lazy("source rows"),
    "too_different": gettext_lazy("too different"),
    "too_few_edits": gettext_lazy("too few edits"),
    "too_many_edits": gettext_lazy("too many edits"),
    "too_similar": gettext_lazy("too similar"),
    "total": gettext_lazy("total"),
    "truncated": gettext_lazy("truncated"),
    "unlabeled": gettext_lazy("unlabeled"),
    "weak_disagreements": gettext_lazy("weak disagreements"),
}
STEP_STATUSES = {
    "pending": gettext_lazy("pending"),
    "running": gettext_lazy("running"),
    "done": gettext_lazy("done"),
    "skipped": gettext_lazy("skipped"),
    "failed": gettext_lazy("failed"),
}
DELIMITER_WORDS = {"comma": gettext_lazy("comma"), "semicolon": gettext_lazy("semicolon"),
                   "tab": gettext_lazy("tab"), "pipe": gettext_lazy("pipe")}  # fmt: skip


@register.filter
def words(key: str) -> str:
    """A counts key as words in the reader's language: ``near_duplicates_moved`` → ``near duplicates moved``."""
    return str(COUNT_WORDS.get(str(key), str(key).replace("_", " ")))


@register.filter
def step_status(status: str) -> str:
    """A pipeline step's status in the reader's language."""
    return str(STEP_STATUSES.get(status, status))


@register.filter
def step_title(title: str) -> str:
    """A step's stored (English) title, translated: the steps mark their titles for translation."""
    return gettext(title) if title else title


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
    name = DELIMITER_NAMES.get(delimiter)
    return str(DELIMITER_WORDS.get(name, name)) if name else repr(delimiter)
