"""The chat and answer APIs ask a signed-in user for what the playground and the AI panel ask."""

import json

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django_tenants.utils import tenant_context

from conftest import ACME_HOST, login_client


@pytest.fixture
def no_role(acme):
    """An account of the tenant without any role (signed in, allowed nothing)."""
    from helpdesk.accounts.models import User

    with tenant_context(acme):
        return User.objects.create_user("nobody@acme.test", "pw-nobody-1")


@pytest.fixture
def viewer(acme):
    """May look at assistants (and so use the playground) but not change tickets."""
    from helpdesk.accounts.models import User

    with tenant_context(acme):
        user = User.objects.create_user("viewer@acme.test", "pw-viewer-1")
        user.user_permissions.add(Permission.objects.get(codename="view_assistant"))
    return user


def post(client: Client, path: str, data: dict | None = None):
    return client.post(path, json.dumps(data or {}), content_type="application/json")


def test_a_user_without_a_role_cannot_chat_stream_or_draft(acme, no_role, support_bot, customer_ticket):
    client = login_client(acme, no_role, ACME_HOST)
    for path in (f"/api/v1/assistants/{support_bot.pk}/chat", f"/api/v1/assistants/{support_bot.pk}/chat/stream"):
        response = post(client, path, {"message": "How do I reset my password?"})
        assert response.status_code == 403, path
        assert response.json()["detail"] == "Your role does not allow this."
    assert post(client, f"/api/v1/tickets/{customer_ticket.number}/answer").status_code == 403
    with tenant_context(acme):
        assert not support_bot.conversations.exists()


def test_the_playground_permission_allows_chat_but_not_ticket_drafts(
    acme, viewer, help_center, support_bot, customer_ticket
):
    client = login_client(acme, viewer, ACME_HOST)
    assert client.get(f"/assistants/{support_bot.pk}/playground/").status_code == 200
    assert post(client, f"/api/v1/assistants/{support_bot.pk}/chat", {"message": "Refund?"}).status_code == 200
    assert client.post(f"/assistants/tickets/{customer_ticket.number}/suggest/").status_code == 403
    assert post(client, f"/api/v1/tickets/{customer_ticket.number}/answer").status_code == 403


def test_agents_chat_and_draft_as_in_the_pages(acme, agent_client, help_center, support_bot, customer_ticket):
    assert post(agent_client, f"/api/v1/assistants/{support_bot.pk}/chat", {"message": "Refund?"}).status_code == 200
    assert post(agent_client, f"/api/v1/tickets/{customer_ticket.number}/answer").status_code == 201


def test_outsider_gets_404_on_its_own_host_and_no_access_on_ours(outsider_client, support_bot):
    path = f"/api/v1/assistants/{support_bot.pk}/chat"
    assert post(outsider_client, path, {"message": "hi"}).status_code == 404  # globex has no such assistant
    on_acme = Client(HTTP_HOST=ACME_HOST)
    on_acme.cookies = outsider_client.cookies  # a globex session means nothing on acme's host
    assert post(on_acme, path, {"message": "hi"}).status_code in (401, 403)
