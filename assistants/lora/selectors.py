"""Reads of adapters, always within the current tenant's schema and one assistant."""

from __future__ import annotations

import logging
from pathlib import Path

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from assistants.lora.models import IN_FLIGHT, Adapter, Event, Status
from assistants.models import Assistant
from helpdesk.ai import chat_models

logger = logging.getLogger(__name__)


def adapter_list(*, assistant: Assistant) -> QuerySet[Adapter]:
    return Adapter.objects.filter(assistant=assistant).select_related("assistant", "created_by")


def adapter_get(*, assistant: Assistant, pk: int | str) -> Adapter:
    """The adapter of this assistant, or 404 (another tenant's or assistant's id finds nothing)."""
    return get_object_or_404(Adapter.objects.select_related("assistant"), assistant=assistant, pk=pk)


def adapter_in_flight() -> Adapter | None:
    """The tenant's queued or running job, if any (there is at most one)."""
    return Adapter.objects.filter(status__in=IN_FLIGHT).select_related("assistant").first()


def adapter_events(*, adapter: Adapter) -> QuerySet[Event]:
    return adapter.events.select_related("by")


def base_mismatch(adapter: Adapter, assistant: Assistant) -> str:
    """Why ``adapter`` cannot serve ``assistant`` ("" when it can): LoRA weights fit only the model they were
    trained on, and an assistant answering with another llama.cpp model (Qwen for non-English) must not get them."""
    model = assistant.chat_model
    if model not in chat_models.CHAT_MODELS:
        return ""  # the server's configured model or Ollama's: served as before
    # A row without a recorded base predates recording it; training then always used the packaged SmolLM2.
    trained_on = chat_models.model_key_of(adapter.base_model or chat_models.SMOLLM2.key)
    if trained_on == model:
        return ""
    return _(
        "%(adapter)s was trained on %(trained_on)s and %(assistant)s answers with %(model)s: an adapter is applied "
        "only on the model it was trained on."
    ) % {
        "adapter": adapter.label,
        "trained_on": chat_models.label(trained_on or adapter.base_model) or _("an unknown model"),
        "assistant": assistant.name,
        "model": chat_models.label(model),
    }


def adapter_dir(adapter: Adapter) -> Path:
    """Absolute folder of the adapter's files: MEDIA_ROOT/<current schema>/adapters/<assistant>/<uuid>."""
    return Path(default_storage.path(adapter.relative_dir))


def active_adapter(assistant: Assistant) -> Adapter | None:
    if not assistant.adapter:
        return None
    folder = assistant.adapter.rstrip("/").rsplit("/", 1)[-1]
    return Adapter.objects.filter(assistant=assistant, folder=folder, status=Status.READY).first()


def serving_adapter(assistant: Assistant) -> tuple[str, str]:
    """(absolute adapter folder, label) of the assistant's active adapter, or ("", "") for the base model.

    The folder is resolved under the *current* tenant's media folder from a version row of this
    assistant, never from a stored absolute path, so no setting can point at another tenant's files.
    """
    adapter = active_adapter(assistant)
    if adapter is None:
        return "", ""
    mismatch = base_mismatch(adapter, assistant)
    if mismatch:
        logger.warning("not applying the active adapter of assistant %s: %s", assistant.pk, mismatch)
        return "", ""
    try:
        folder = adapter_dir(adapter)
    except SuspiciousFileOperation:
        return "", ""
    if not (folder / "adapter_config.json").exists():
        logger.warning("adapter %s of assistant %s has no files at %s", adapter.label, assistant.pk, folder)
        return "", ""
    return str(folder), adapter.label
