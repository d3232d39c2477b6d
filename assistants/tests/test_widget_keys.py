"""Widget keys can be revoked, on the assistant's page and in the admin; a revoked key stops working."""

import json

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from assistants.models import WidgetKey
from assistants.services import widget_key_create
from conftest import ACME_HOST, GLOBEX_HOST, login_client, make_user

SITE = "https://www.acme.example"


@pytest.fixture
def widget_key(acme, support_bot):
    with tenant_context(acme):
        return widget_key_create(assistant=support_bot, allowed_origins=[SITE])


def widget_chat(key: str):
    return Client(HTTP_HOST=ACME_HOST).post(
        "/assistants/widget/chat",
        json.dumps({"key": key, "message": "How long does shipping take?"}),
        content_type="application/json",
        headers={"Origin": SITE},
    )


def revoke_url(widget_key: WidgetKey) -> str:
    return f"/assistants/{widget_key.assistant_id}/widget-keys/{widget_key.pk}/revoke/"


def test_manager_revokes_a_key_and_the_widget_stops_at_once(acme, help_center, widget_key, manager_client):
    assert widget_chat(widget_key.key).status_code == 200
    page = manager_client.get(f"/assistants/{widget_key.assistant_id}/").content.decode()
    assert revoke_url(widget_key) in page and widget_key.key in page

    response = manager_client.post(revoke_url(widget_key))
    assert response.status_code == 302
    assert widget_chat(widget_key.key).status_code == 404
    script = Client(HTTP_HOST=ACME_HOST).get(f"/assistants/widget.js?key={widget_key.key}")
    assert script.status_code == 404
    page = manager_client.get(f"/assistants/{widget_key.assistant_id}/").content.decode()
    assert "Revoked" in page and widget_key.key not in page  # no embed code for a dead key
    assert manager_client.post(revoke_url(widget_key)).status_code == 302  # again: nothing changes
    with tenant_context(acme):
        assert WidgetKey.objects.get(pk=widget_key.pk).is_active is False


def test_agents_cannot_revoke(acme, widget_key, agent_client):
    assert agent_client.post(revoke_url(widget_key)).status_code == 403
    with tenant_context(acme):
        assert WidgetKey.objects.get(pk=widget_key.pk).is_active is True


def test_outsider_gets_404_for_another_tenants_key(acme, globex, widget_key):
    outsider_manager = login_client(globex, make_user(globex, "gina@globex.test", "manager"), GLOBEX_HOST)
    assert outsider_manager.post(revoke_url(widget_key)).status_code == 404
    with tenant_context(acme):
        assert WidgetKey.objects.get(pk=widget_key.pk).is_active is True


def test_key_of_another_assistant_is_404(acme, widget_key, manager_client):
    from assistants.services import assistant_create

    with tenant_context(acme):
        other = assistant_create(name="Sales bot", company="Acme", provider="extractive")
    response = manager_client.post(f"/assistants/{other.pk}/widget-keys/{widget_key.pk}/revoke/")
    assert response.status_code == 404


def test_managers_revoke_keys_in_the_tenant_admin(acme, widget_key, manager_client):
    listing = manager_client.get("/admin/assistants/widgetkey/")
    assert listing.status_code == 200 and SITE in listing.content.decode()
    assert manager_client.get("/admin/assistants/widgetkey/add/").status_code == 403  # created on the page
    response = manager_client.post(
        "/admin/assistants/widgetkey/", {"action": "revoke", "_selected_action": [widget_key.pk]}
    )
    assert response.status_code == 302
    assert widget_chat(widget_key.key).status_code == 404
