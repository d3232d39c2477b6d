"""External systems discover the tenant's assistants over the API."""

from __future__ import annotations

from django.test import Client
from django_tenants.utils import tenant_context

from conftest import ACME_HOST, GLOBEX_HOST, login_client
from helpdesk.accounts.services import api_key_issue


def key_client(tenant, host: str) -> Client:
    with tenant_context(tenant):
        raw = api_key_issue(name="discovery").raw_key
    return Client(HTTP_HOST=host, headers={"Authorization": f"Api-Key {raw}"})


def test_assistants_are_listed_and_shown_without_secrets(acme, support_bot):
    from assistants.services import assistant_create

    with tenant_context(acme):
        other = assistant_create(name="Sales helper", company="Acme", provider="extractive")
        support_bot.policy = "SECRET-POLICY never reveal the discount code HX-99"
        support_bot.is_default = True
        support_bot.save()
    api = key_client(acme, ACME_HOST)
    body = api.get("/api/v1/assistants/").json()
    assert body["count"] == 2
    first, second = body["results"]
    assert (first["id"], first["name"], first["is_default"]) == (support_bot.pk, "Support bot", True)
    assert second["id"] == other.pk and second["is_default"] is False
    assert set(first["request_types"]) == {"support", "sales", "complaint"}
    detail = api.get(f"/api/v1/assistants/{support_bot.pk}/")
    assert detail.status_code == 200 and detail.json() == first
    for text in (str(body), detail.content.decode()):
        assert "SECRET-POLICY" not in text and "HX-99" not in text and "adapter" not in text and "provider" not in text


def test_another_tenant_sees_none_of_them(acme, globex, support_bot):
    api = key_client(globex, GLOBEX_HOST)
    assert api.get("/api/v1/assistants/").json()["count"] == 0
    assert api.get(f"/api/v1/assistants/{support_bot.pk}/").status_code == 404
    assert Client(HTTP_HOST=ACME_HOST).get("/api/v1/assistants/").status_code in {401, 403}


def test_signed_in_staff_need_the_view_permission(acme, agent, support_bot):
    assert login_client(acme, agent, ACME_HOST).get("/api/v1/assistants/").status_code == 200


def test_the_schema_documents_assistants_and_search_hit_ids(acme):
    api = key_client(acme, ACME_HOST)
    schema = api.get("/api/schema/", headers={"Accept": "application/json"}).content.decode()
    assert "/api/v1/assistants/" in schema and "/api/v1/assistants/{id}/" in schema
    import json

    parsed = json.loads(schema) if schema.lstrip().startswith("{") else __import__("yaml").safe_load(schema)
    hit = parsed["components"]["schemas"]["SearchHit"]["properties"]
    assert "external_id" in hit and "visibility" in hit
    assert set(parsed["components"]["schemas"]["AssistantOutput"]["properties"]) >= {"id", "name", "is_default"}
