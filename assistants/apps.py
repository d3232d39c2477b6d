from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from helpdesk.ai import FALLBACK, examples, register_provider
from tickets.extensions import register_panel


class AssistantsConfig(AppConfig):
    name = "assistants"
    label = "assistants"
    verbose_name = _("Assistants")
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
        # reason: the engine and the selectors import models, which load only once the app registry is ready
        from assistants.engine.extractive import ExtractiveProvider
        from assistants.selectors import draft_pair_records

        # AI providers: the engine's extractive answer is the provider layer's fallback.
        register_provider(FALLBACK, ExtractiveProvider)
        # Ticket extensions: the AI panel on the ticket page.
        register_panel("assistants", template="assistants/ticket_panel_slot.html", order=10)
        # Examples for other apps: the draft/final reply pairs that datasets export.
        examples.register_records("draft-pairs", draft_pair_records)
