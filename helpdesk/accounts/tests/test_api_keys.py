import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from conftest import ACME_HOST, GLOBEX_HOST
from helpdesk.accounts.models import ApiKey
from helpdesk.accounts.services import api_key_issue, api_key_revoke, api_key_rotate


@pytest.fixture
def issued(acme):
    with tenant_context(acme):
        return api_key_issue(name="jira-sync")


def me(raw: str, host: str = ACME_HOST, **headers: str):
    return Client(HTTP_HOST=host).get("/api/v1/me", headers={"Authorization": f"Api-Key {raw}", **headers})


def test_valid_key_is_accepted_and_named(issued):
    response = me(issued.raw_key)
    assert response.status_code == 200
    assert response.json() == {"tenant": "acme", "key": "jira-sync"}


def test_only_the_hash_and_prefix_are_stored(acme, issued):
    with tenant_context(acme):
        row = ApiKey.objects.get(pk=issued.api_key.pk)
    assert issued.raw_key not in (row.hashed_key, row.prefix)
    assert issued.raw_key.startswith(f"hd_{row.prefix}_")
    assert len(row.hashed_key) == 64


def test_use_records_last_used_time(acme, issued):
    assert issued.api_key.last_used_at is None
    me(issued.raw_key)
    with tenant_context(acme):
        assert ApiKey.objects.get(pk=issued.api_key.pk).last_used_at is not None


def test_revoked_key_is_rejected(acme, issued):
    with tenant_context(acme):
        api_key_revoke(api_key=issued.api_key)
    response = me(issued.raw_key)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"


def test_key_of_another_tenant_is_rejected_by_host_and_by_header(issued):
    assert me(issued.raw_key, host=GLOBEX_HOST).status_code == 401
    assert me(issued.raw_key, host="localhost", **{"X-Tenant": "globex"}).status_code == 401


def test_rotation_revokes_the_old_key(acme, issued):
    with tenant_context(acme):
        new = api_key_rotate(api_key=issued.api_key)
    assert me(issued.raw_key).status_code == 401
    assert me(new.raw_key).status_code == 200


@pytest.mark.parametrize("header", ["Api-Key", "Api-Key a b", "Api-Key not-a-key", "Api-Key hd_0000_nothing"])
def test_malformed_or_unknown_keys_are_rejected(db, header):
    response = Client(HTTP_HOST=ACME_HOST).get("/api/v1/me", headers={"Authorization": header})
    assert response.status_code == 401


def test_no_credentials_is_unauthorised(acme_client):
    assert acme_client.get("/api/v1/me").status_code in (401, 403)


def test_two_active_keys_cannot_share_a_name(acme, issued):
    from django.core.exceptions import ValidationError

    with tenant_context(acme), pytest.raises(ValidationError, match="already exists"):
        api_key_issue(name="jira-sync")


def test_signed_in_user_sees_themselves(agent_client):
    response = agent_client.get("/api/v1/me")
    assert response.json() == {"tenant": "acme", "user": {"email": "alice@acme.test", "role": "agent"}}


def test_throttling_is_per_key(acme, settings):
    from django.core.cache import cache

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api": "3/min"}}
    with tenant_context(acme):
        cache.delete_pattern("*throttle*")  # type: ignore[attr-defined]  # keys are per tenant (and ids repeat)
        first = api_key_issue(name="first").raw_key
        second = api_key_issue(name="second").raw_key
    statuses = [me(first).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert me(second).status_code == 200


def test_anonymous_throttling_is_per_client_address_not_per_forged_header(acme, settings):
    """Without a proxy, X-Forwarded-For is whatever the client sends: a new one per request is no new budget."""
    from django.core.cache import cache

    settings.PROXY_COUNT = 0
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api": "2/h"}}
    with tenant_context(acme):
        cache.delete_pattern("*throttle*")  # type: ignore[attr-defined]
    statuses = [
        Client(HTTP_HOST=ACME_HOST, REMOTE_ADDR="203.0.113.40", HTTP_X_FORWARDED_FOR=f"10.9.9.{n}")
        .get("/api/docs/")
        .status_code
        for n in range(3)
    ]
    assert statuses == [200, 200, 429]
    assert Client(HTTP_HOST=ACME_HOST, REMOTE_ADDR="203.0.113.41").get("/api/docs/").status_code == 200
    with tenant_context(acme):
        cache.delete_pattern("*throttle*")  # type: ignore[attr-defined]
