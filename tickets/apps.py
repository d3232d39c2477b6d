from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    label = "tickets"
    # Codenames of this app's permissions per role (see helpdesk.accounts.roles); admin gets all.
    role_permissions: dict[str, list[str]] = {"agent": [], "manager": []}
