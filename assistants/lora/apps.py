from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoraConfig(AppConfig):
    """LoRA adapters of assistants: training data, training jobs, versions and their files."""

    name = "assistants.lora"
    label = "lora"
    verbose_name = _("LoRA adapters")
    # Agents see which adapter answers; managers train, activate, roll back, publish and delete.
    role_permissions: dict[str, list[str]] = {
        "agent": ["view_adapter"],
        "manager": ["view_adapter", "add_adapter", "change_adapter", "delete_adapter"],
    }

    def ready(self) -> None:
        # reason: these modules import models, loadable only once the app registry is ready
        from assistants.engine.registry import register_adapter_resolver
        from assistants.lora import signals  # noqa: F401 (connects the file clean-up)
        from assistants.lora.selectors import serving_adapter

        register_adapter_resolver(serving_adapter)
