from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from tickets import metrics


class TicketsConfig(AppConfig):
    name = "tickets"
    label = "tickets"
    verbose_name = _("Tickets")
    # Codenames of this app's permissions per role (see helpdesk.accounts.roles); admin gets all.
    role_permissions: dict[str, list[str]] = {
        "agent": [
            "view_ticket",
            "add_ticket",
            "change_ticket",
            "view_reply",
            "add_reply",
            "view_contact",
            "add_contact",
            "change_contact",
            "view_tag",
            "add_tag",
            "view_slapolicy",
            "view_ticketevent",
            "view_attachment",
            "view_macro",
        ],
        "manager": [
            "view_ticket",
            "add_ticket",
            "change_ticket",
            "delete_ticket",
            "view_reply",
            "add_reply",
            "change_reply",
            "view_contact",
            "add_contact",
            "change_contact",
            "delete_contact",
            "view_tag",
            "add_tag",
            "change_tag",
            "delete_tag",
            "view_slapolicy",
            "add_slapolicy",
            "change_slapolicy",
            "delete_slapolicy",
            "view_ticketevent",
            "view_attachment",
            "view_macro",
            "add_macro",
            "change_macro",
            "delete_macro",
        ],
    }

    def ready(self) -> None:
        metrics.register()
