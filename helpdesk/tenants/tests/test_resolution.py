import pytest
from django.test import Client

from conftest import ACME_HOST, GLOBEX_HOST


def test_tenant_host_serves_that_tenants_site(acme_client):
    response = acme_client.get("/accounts/login/")
    assert response.status_code == 200
    assert b"Acme Corporation" in response.content


def test_public_host_serves_the_landing_page_listing_tenants_only_in_debug(public_client, settings):
    response = public_client.get("/")
    assert response.status_code == 200
    assert b"Acme Corporation" not in response.content and b"globex.localhost" not in response.content
    settings.DEBUG = True
    response = public_client.get("/")
    assert b"Acme Corporation" in response.content
    assert b"acme.localhost" in response.content


def test_unknown_host_answers_an_html_404(db):
    response = Client(HTTP_HOST="initech.localhost").get("/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert b"No helpdesk at this address" in response.content


def test_unknown_host_answers_json_404_under_api(db):
    response = Client(HTTP_HOST="initech.localhost").get("/api/v1/me")
    assert response.status_code == 404
    assert response.json()["detail"] == "No helpdesk is configured for 'initech.localhost'."


def test_header_selects_the_tenant_on_api_paths(db, manager, acme):
    from django_tenants.utils import tenant_context

    from helpdesk.accounts.services import api_key_issue

    with tenant_context(acme):
        raw = api_key_issue(name="probe").raw_key
    response = Client(HTTP_HOST="localhost").get(
        "/api/v1/me", headers={"X-Tenant": "acme", "Authorization": f"Api-Key {raw}"}
    )
    assert response.status_code == 200
    assert response.json() == {"tenant": "acme", "key": "probe"}


def test_header_wins_over_host_on_api_paths(db, acme):
    from django_tenants.utils import tenant_context

    from helpdesk.accounts.services import api_key_issue

    with tenant_context(acme):
        raw = api_key_issue(name="probe").raw_key
    response = Client(HTTP_HOST=GLOBEX_HOST).get(
        "/api/v1/me", headers={"X-Tenant": "acme", "Authorization": f"Api-Key {raw}"}
    )
    assert response.json()["tenant"] == "acme"


def test_unknown_tenant_header_answers_json_404(db):
    response = Client(HTTP_HOST="localhost").get("/api/v1/me", headers={"X-Tenant": "initech"})
    assert response.status_code == 404
    assert "initech" in response.json()["detail"]


def test_header_cannot_select_the_public_schema(db):
    response = Client(HTTP_HOST=ACME_HOST).get("/api/v1/me", headers={"X-Tenant": "public"})
    assert response.status_code == 404


def test_header_is_ignored_outside_the_api(db):
    response = Client(HTTP_HOST="localhost").get("/accounts/login/", headers={"X-Tenant": "acme"})
    assert response.status_code == 404  # the public site has no login page; the header did not switch tenants


def test_api_on_public_host_without_header_is_json_404(public_client):
    response = public_client.get("/api/v1/me")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize("host", [ACME_HOST, GLOBEX_HOST])
def test_unknown_page_on_tenant_host_renders_404_page(db, host):
    response = Client(HTTP_HOST=host).get("/no/such/page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content


def test_platform_admin_manages_tenants_on_the_public_site(db):
    from helpdesk.accounts.models import User

    User.objects.create_superuser("root@helpdesk.test", "platform-pass-1")
    client = Client(HTTP_HOST="localhost")
    form = {"username": "root@helpdesk.test", "password": "platform-pass-1", "next": "/admin/"}
    signed_in = client.post("/admin/login/", form)
    assert signed_in.status_code == 302
    response = client.get("/admin/tenants/tenant/")
    assert response.status_code == 200
    assert b"acme" in response.content and b"globex" in response.content


def test_tenant_manager_cannot_sign_in_to_the_platform_admin(manager):
    response = Client(HTTP_HOST="localhost").post(
        "/admin/login/", {"username": manager.email, "password": "correct-horse-battery"}
    )
    assert response.status_code == 200  # the form again: the public schema has no such user
    assert b"Please enter the correct" in response.content
