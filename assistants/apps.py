from django.apps import AppConfig


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
