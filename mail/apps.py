from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    """E-mail in and out: mailboxes, ingestion into tickets and replies, threading of the mail we send."""

    name = "mail"
    label = "mail"
    verbose_name = _("E-mail")
    role_permissions: dict[str, list[str]] = {
        "agent": ["view_mailmessage"],
        "manager": [
            "view_mailbox",
            "add_mailbox",
            "change_mailbox",
            "delete_mailbox",
            "view_mailmessage",
            "change_mailmessage",
            "view_bouncedaddress",
            "delete_bouncedaddress",
        ],
    }

    def ready(self) -> None:
        # Registries are filled once the app registry is ready (the services import the models).
        from anymail.signals import inbound

        # The same reason: these modules import models.
        from helpdesk.mail import recipient_filter_register
        from mail.receivers import inbound_received
        from mail.services.outgoing import outgoing_thread, recipients_not_bouncing
        from tickets.extensions import register_mail_threader, register_panel

        register_mail_threader(outgoing_thread)
        recipient_filter_register(recipients_not_bouncing)
        inbound.connect(inbound_received, dispatch_uid="mail.inbound")
        # A lazy title: the placeholder is rendered in each request's language.
        title: Any = _("E-mail")
        register_panel("mail", url_name="mail:ticket-panel", title=title, order=40, permission="mail.view_mailmessage")
