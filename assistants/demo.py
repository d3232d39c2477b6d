"""A default assistant for every demo tenant (idempotent: keyed by name); the Russian tenant's answers in Russian."""

from __future__ import annotations

from typing import Any

from assistants.models import Assistant
from assistants.services import assistant_create

# Demo tenants whose assistant is not the English default: its name, company and answer language.
ASSISTANTS = {"romashka": ("Помощник «Ромашки»", "Ромашка", "ru")}


def seed(*, tenant: Any) -> None:
    if Assistant.objects.exists():
        return
    name, company, language = ASSISTANTS.get(
        tenant.schema_name, (f"{tenant.name.split()[0]} Support", tenant.name, "en")
    )
    assistant_create(name=name, company=company, language=language)
