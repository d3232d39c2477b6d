from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from tickets import extensions


class IntegrationsConfig(AppConfig):
    name = "integrations"
    label = "integrations"
    verbose_name = _("Integrations")
    # Agents see the monitor and escalate; managers set up connections and webhooks (helpdesk.accounts.roles).
    role_permissions: dict[str, list[str]] = {
        "agent": [
            "view_connection",
            "view_outboxitem",
            "add_outboxitem",
            "change_outboxitem",
            "view_externalref",
            "view_integrationsynclog",
            "view_webhookendpoint",
            "view_webhookdelivery",
        ],
        "manager": [
            "view_connection",
            "add_connection",
            "change_connection",
            "delete_connection",
            "view_outboxitem",
            "add_outboxitem",
            "change_outboxitem",
            "view_externalref",
            "view_integrationsynclog",
            "view_webhookendpoint",
            "add_webhookendpoint",
            "change_webhookendpoint",
            "delete_webhookendpoint",
            "view_webhookdelivery",
            "change_webhookdelivery",
        ],
    }

    def ready(self) -> None:
        # reason: AppConfig.ready(): these modules import models, which load only once the app registry is ready
        from integrations import metrics, receivers, work

        work.check_lease()
        metrics.register()

        # Ticket extensions: the linked-issues panel; ticket events become outgoing webhooks and mirrored comments.
        extensions.register_panel("integrations", template="integrations/ticket_panel_slot.html", order=20)
        extensions.register_listener(extensions.TICKET_CREATED, receivers.on_ticket_created)
        extensions.register_listener(extensions.TICKET_UPDATED, receivers.on_ticket_updated)
        extensions.register_listener(extensions.REPLY_CREATED, receivers.on_reply_created)
