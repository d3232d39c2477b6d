"""Jira as one integration system: what the integrations core needs to know about it."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrations.jira import services
from integrations.jira.forms import JiraConnectionForm
from integrations.jira.transport import JiraTransport
from integrations.models import Connection
from integrations.registry import CliOption, SystemSpec


def validate(connection: Connection) -> dict[str, str]:
    if not connection.project_key:
        return {"project_key": _("Jira needs the key of the project that receives escalations, e.g. SUP.")}
    return {}


SPEC = SystemSpec(
    key="jira",
    label="Jira",
    transport=JiraTransport,
    form=JiraConnectionForm,
    urls="integrations.jira.urls",
    priority_map={"low": "Low", "normal": "Medium", "high": "High", "urgent": "Highest"},
    inbound=services.webhook_event,
    validate=validate,
    webhook_help=gettext_lazy("Jira admin webhook (with a secret; events: issue updated, comment created)"),
    cli_options=(
        CliOption("--project", "project_key", "project key that receives escalations, e.g. SUP"),
        CliOption("--issue-type", "issue_type", "issue type (default Task)"),
    ),
)
