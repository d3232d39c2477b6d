"""The Zendesk settings page and `manage.py integration_set zendesk`."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from integrations.models import Connection


def test_manager_connects_zendesk_and_the_test_finds_the_group(manager_client, fake_zendesk, in_acme):
    data = {
        "base_url": fake_zendesk.url,
        "username": fake_zendesk.username,
        "token": fake_zendesk.token,
        "group_id": "360001",
        "resolved_status": "solved",
        "enabled": "on",
    }
    manager_client.post("/integrations/zendesk/", data)
    tested = manager_client.post("/integrations/zendesk/test/", headers={"HX-Request": "true"}).content.decode()
    assert "Works" in tested and "Group Tier 2 found" in tested


def test_integration_set_creates_updates_and_tests(fake_zendesk, acme, capsys):
    call_command(
        "integration_set",
        "--tenant",
        "acme",
        "zendesk",
        "--url",
        fake_zendesk.url,
        "--email",
        fake_zendesk.username,
        "--token",
        fake_zendesk.token,
        "--group",
        "360001",
        "--test",
    )
    out = capsys.readouterr().out
    assert "Created the Zendesk connection of acme" in out and "Group Tier 2 found" in out
    call_command("integration_set", "--tenant", "acme", "zendesk", "--resolved-status", "closed")
    from django_tenants.utils import schema_context

    with schema_context("acme"):
        conn = Connection.objects.get(system="zendesk")
        assert (
            conn.resolved_status == "closed"
            and conn.group_id == 360001
            and fake_zendesk.token not in conn.token_encrypted
        )
    with pytest.raises(CommandError, match="Test failed: HTTP 401"):
        call_command("integration_set", "--tenant", "acme", "zendesk", "--token", "wrong", "--test")
    with pytest.raises(CommandError, match="No tenant"):
        call_command("integration_set", "--tenant", "nope", "zendesk")
