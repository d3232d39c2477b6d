from django.apps import AppConfig

from helpdesk.ai import FALLBACK, register_provider


class AssistantsConfig(AppConfig):
    name = "assistants"
    label = "assistants"
    # Codenames of this app's permissions per role (see helpdesk.accounts.roles); admin gets all.
    role_permissions: dict[str, list[str]] = {
        "agent": ["view_assistant", "view_requesttype"],
        "manager": [
            f"{action}_{model}"
            for action in ("view", "add", "change", "delete")
            for model in ("assistant", "requesttype")
        ]
        + ["view_widgetkey", "change_widgetkey"],
    }

    def ready(self) -> None:
        # AI providers: the engine's extractive answer is the provider layer's fallback.
        # reason: the engine package imports models, which load only once the app registry is ready
        from assistants.engine.extractive import ExtractiveProvider

        register_provider(FALLBACK, ExtractiveProvider)
