"""A tracker is one spec: once registered, the core offers it everywhere without naming it."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from integrations import registry, services
from integrations.forms import ConnectionForm, EscalateForm
from integrations.models import Connection
from integrations.registry import CliOption, SystemSpec


class RedmineTransport:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def test(self) -> str:
        return f"Redmine project {self.connection.project_key} found"


def _validate(connection: Connection) -> dict[str, str]:
    return {} if connection.project_key else {"project_key": "Redmine needs a project identifier."}


REDMINE = SystemSpec(
    key="redmine",
    label="Redmine",
    transport=RedmineTransport,  # type: ignore[arg-type]
    form=ConnectionForm,
    urls="integrations.jira.urls",
    priority_map={"low": "Low", "normal": "Normal", "high": "High", "urgent": "Immediate"},
    inbound=lambda body: None,
    validate=_validate,
    cli_options=(CliOption("--project", "project_key", "Redmine project identifier"),),
)


@pytest.fixture
def redmine(monkeypatch: pytest.MonkeyPatch) -> SystemSpec:
    monkeypatch.setitem(registry._SYSTEMS, REDMINE.key, REDMINE)
    return REDMINE


def test_the_built_in_systems_register_from_their_apps():
    assert registry.system_choices() == [("jira", "Jira"), ("zendesk", "Zendesk")]
    assert registry.system("jira").transport.__name__ == "JiraTransport"


def test_a_registered_system_is_a_choice_of_the_model_and_the_forms(redmine):
    assert ("redmine", "Redmine") in list(Connection._meta.get_field("system").choices or [])
    assert ("redmine", "Redmine") in list(EscalateForm().fields["system"].choices)  # type: ignore[attr-defined]


def test_connection_save_runs_the_systems_checks_and_defaults(redmine, in_acme):
    kwargs: dict[str, Any] = {"system": "redmine", "base_url": "https://redmine.example", "username": "a@b.example"}
    with pytest.raises(ValidationError) as refused:
        services.connection_save(**kwargs, token="t0ken")
    assert refused.value.message_dict == {"project_key": ["Redmine needs a project identifier."]}
    conn = services.connection_save(**kwargs, token="t0ken", project_key="sup")
    assert conn.priority_map == dict(REDMINE.priority_map)
    assert conn.get_system_display() == "Redmine"
    assert services.connection_test(connection=conn).message == "Redmine project SUP found"


def test_integration_set_offers_the_systems_options(redmine, acme, capsys):
    args = ["integration_set", "--tenant", "acme", "redmine", "--url", "https://redmine.example"]
    with pytest.raises(CommandError, match="--project: Redmine needs a project identifier"):
        call_command(*args, "--email", "a@b.example", "--token", "t0ken")
    call_command(*args, "--email", "a@b.example", "--token", "t0ken", "--project", "sup", "--test")
    assert "Test: Redmine project SUP found" in capsys.readouterr().out
