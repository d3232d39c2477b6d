from django.apps import AppConfig

from helpdesk.ai import examples
from tickets.extensions import register_panel


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
        # Ticket extensions: the AI panel on the ticket page; the draft/final reply pairs that datasets export.
        # reason: assistants.selectors reads models, which load only once the app registry is ready
        from assistants.selectors import draft_pair_records

        register_panel("assistants", template="assistants/ticket_panel_slot.html", order=10)
        examples.register_records("draft-pairs", draft_pair_records)
