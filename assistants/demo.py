"""A default assistant for every demo tenant (idempotent: keyed by name)."""

from __future__ import annotations

from typing import Any

from assistants.models import Assistant
from assistants.services import assistant_create


def seed(*, tenant: Any) -> None:
    if not Assistant.objects.exists():
        assistant_create(name=f"{tenant.name.split()[0]} Support", company=tenant.name)
