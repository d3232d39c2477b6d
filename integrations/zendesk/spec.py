"""Zendesk as one integration system: what the integrations core needs to know about it."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrations.models import Connection
from integrations.registry import CliOption, SystemSpec
from integrations.zendesk import services
from integrations.zendesk.forms import ZendeskConnectionForm
from integrations.zendesk.transport import ZendeskTransport


def validate(connection: Connection) -> dict[str, str]:
    if connection.base_url and "." not in (urlsplit(connection.base_url).hostname or ""):
        return {"base_url": _("Zendesk addresses look like https://<subdomain>.zendesk.com.")}
    return {}


SPEC = SystemSpec(
    key="zendesk",
    label="Zendesk",
    transport=ZendeskTransport,
    form=ZendeskConnectionForm,
    urls="integrations.zendesk.urls",
    priority_map={"low": "low", "normal": "normal", "high": "high", "urgent": "urgent"},
    inbound=services.webhook_event,
    validate=validate,
    webhook_help=gettext_lazy("Zendesk webhook (signed; ticket status changed, comment added)"),
    cli_options=(CliOption("--group", "group_id", "Zendesk group id that receives escalations", type=int),),
)
