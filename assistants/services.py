"""Writes on assistants. Keyword-only arguments, one transaction each."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from assistants.defaults import DEFAULT_ALWAYS_ESCALATE, DEFAULT_POLICY, DEFAULT_REQUEST_TYPES
from assistants.models import DEFAULT_ESCALATION_KEYWORDS, Assistant, RequestType


@transaction.atomic
def assistant_create(*, name: str, company: str = "", **fields: Any) -> Assistant:
    """An assistant with a safe default policy and the standard request types; the first one becomes default."""
    fields.setdefault("policy", DEFAULT_POLICY.format(company=company or "our company"))
    fields.setdefault("escalation_keywords", list(DEFAULT_ESCALATION_KEYWORDS))
    fields.setdefault("always_escalate_types", list(DEFAULT_ALWAYS_ESCALATE))
    assistant = Assistant.objects.create(
        name=name, is_default=not Assistant.objects.filter(is_default=True).exists(), **fields
    )
    RequestType.objects.bulk_create(
        RequestType(assistant=assistant, name=type_name, prompt=prompt, examples="\n".join(examples))
        for type_name, (prompt, examples) in DEFAULT_REQUEST_TYPES.items()
    )
    return assistant


@transaction.atomic
def assistant_set_default(*, assistant: Assistant) -> None:
    # Updates by query, not from the instance: it may be stale about which assistant is the default.
    Assistant.objects.filter(is_default=True).exclude(pk=assistant.pk).update(is_default=False)
    Assistant.objects.filter(pk=assistant.pk).update(is_default=True)
    assistant.is_default = True
