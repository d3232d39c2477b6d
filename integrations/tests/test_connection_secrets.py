"""A stored token or webhook secret never follows a connection to a new address or account."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from helpdesk import crypto
from integrations import services
from integrations.jira.tests.test_jira_page import form
from integrations.models import Connection
from testing.jira import FakeJira


@pytest.fixture
def elsewhere():
    """Another Jira that would accept the stored token if it were sent there."""
    fake = FakeJira().start()
    yield fake
    fake.stop()


def stored(conn: Connection) -> tuple[str, str, str, str]:
    conn = Connection.objects.get(pk=conn.pk)
    return (
        conn.base_url,
        conn.username,
        crypto.decrypt(conn.token_encrypted),
        crypto.decrypt(conn.webhook_secret_encrypted),
    )


def test_the_service_asks_for_token_and_secret_again_when_the_address_or_account_changes(jira, fake_jira, elsewhere):
    before = stored(jira)

    with pytest.raises(ValidationError) as moved:
        services.connection_save(system="jira", base_url=elsewhere.url, username=fake_jira.username, webhook_secret="")
    assert moved.value.message_dict == {
        "token": ["The address changed: enter the API token again (the stored one is never sent to a new address)."],
        "webhook_secret": [
            "The address changed: enter the webhook secret again, or a new one (the stored one is not kept)."
        ],
    }
    with pytest.raises(ValidationError, match="The account changed: enter the API token again"):
        services.connection_save(
            system="jira", base_url=fake_jira.url, username="someone.else@example.test", webhook_secret="x"
        )
    assert stored(jira) == before
    assert elsewhere.log == []  # nothing, let alone the stored token, went to the other address

    # The same address written differently is no change; an empty token keeps the stored one.
    services.connection_save(system="jira", base_url=f"{fake_jira.url}/", username=fake_jira.username.upper())
    # Both given again: saved.
    services.connection_save(
        system="jira", base_url=elsewhere.url, username=elsewhere.username, token="new-token", webhook_secret="new-hook"
    )
    assert stored(jira) == (elsewhere.url, elsewhere.username, "new-token", "new-hook")


def test_the_settings_page_refuses_a_new_address_without_the_token(manager_client, jira, fake_jira, elsewhere):
    before = stored(jira)

    response = manager_client.post("/integrations/jira/", form(elsewhere, token="", webhook_secret=""))

    html = response.content.decode()
    assert response.status_code == 200
    assert "The address changed: enter the API token again" in html
    assert "enter the webhook secret again" in html
    assert stored(jira) == before
    tested = manager_client.post("/integrations/jira/test/", headers={"HX-Request": "true"}).content.decode()
    assert "Works" in tested and elsewhere.log == []


def test_the_admin_refuses_a_new_address_without_the_token(manager_client, jira, fake_jira, elsewhere):
    before = stored(jira)
    data = {
        "system": "jira",
        "enabled": "on",
        "base_url": elsewhere.url,
        "username": fake_jira.username,
        "project_key": "SUP",
        "issue_type": "Task",
        "priority_map": json.dumps(jira.priority_map),
        "send_tags": "on",
        "category_field": "",
        "resolved_status": "solved",
        "token": "",
        "webhook_secret": "",
    }

    response = manager_client.post(f"/admin/integrations/connection/{jira.pk}/change/", data)

    assert response.status_code == 200, response.status_code  # the form again, not a redirect
    html = response.content.decode()
    assert "The address changed: enter the API token again" in html and "enter the webhook secret again" in html
    assert stored(jira) == before

    saved = manager_client.post(
        f"/admin/integrations/connection/{jira.pk}/change/", {**data, "token": "t2", "webhook_secret": "h2"}
    )
    assert saved.status_code == 302
    assert stored(jira) == (elsewhere.url, fake_jira.username, "t2", "h2")


def test_integration_set_refuses_a_new_address_without_the_token(jira, fake_jira, elsewhere):
    before = stored(jira)

    with pytest.raises(CommandError) as refused:
        call_command("integration_set", "--tenant", "acme", "jira", "--url", elsewhere.url, "--test")

    assert str(refused.value) == (
        "--token: The address changed: enter the API token again (the stored one is never sent to a new address).; "
        "--webhook-secret: The address changed: enter the webhook secret again, or a new one "
        "(the stored one is not kept)."
    )
    assert stored(jira) == before and elsewhere.log == []
