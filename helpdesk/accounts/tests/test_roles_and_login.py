import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.test import Client
from django_tenants.utils import tenant_context

from conftest import ACME_HOST, GLOBEX_HOST, PASSWORD
from helpdesk.accounts.models import User
from helpdesk.accounts.services import role_assign, user_create_or_update


def test_role_groups_carry_real_permissions(acme):
    with tenant_context(acme):
        perms = {g.name: set(g.permissions.values_list("codename", flat=True)) for g in Group.objects.all()}
    assert {"agent", "manager", "admin"} <= set(perms)
    assert "view_user" in perms["agent"] and "change_user" not in perms["agent"]
    assert {"add_user", "change_user", "add_apikey"} <= perms["manager"]
    assert perms["manager"] < perms["admin"]


def test_role_decides_admin_access(acme, agent, manager):
    assert manager.is_staff and not agent.is_staff
    with tenant_context(acme):
        assert manager.has_perm("accounts.change_user")
        assert not agent.has_perm("accounts.change_user")


def test_changing_role_replaces_the_old_one(acme, agent):
    with tenant_context(acme):
        role_assign(user=agent, role="manager")
        agent.refresh_from_db()
        assert agent.role == "manager" and agent.is_staff
        role_assign(user=agent, role="agent")
        agent.refresh_from_db()
        assert agent.role == "agent" and not agent.is_staff


def test_only_admins_hand_out_the_admin_role(acme, agent, manager):
    with tenant_context(acme):
        with pytest.raises(ValidationError, match="Only an admin"):
            role_assign(user=agent, role="admin", by=manager)
        boss = user_create_or_update(email="boss@acme.test", role="admin").user
        role_assign(user=agent, role="admin", by=boss)
        assert agent.role == "admin"


def test_new_user_without_password_gets_a_generated_one(acme):
    with tenant_context(acme):
        result = user_create_or_update(email="New@Acme.test", role="agent")
        assert result.created and result.password
        assert result.user.email == "new@acme.test"
        assert result.user.check_password(result.password)
        again = user_create_or_update(email="new@acme.test", role="agent")
        assert not again.created and again.password is None


@pytest.mark.parametrize(
    ("email", "role", "message"), [("not-an-email", "agent", "valid email"), ("a@b.test", "boss", "Unknown role")]
)
def test_bad_user_input_is_refused_with_a_reason(acme, email, role, message):
    with tenant_context(acme), pytest.raises(ValidationError, match=message):
        user_create_or_update(email=email, role=role)


def test_users_are_isolated_between_tenants(acme, globex, agent):
    with tenant_context(globex):
        assert not User.objects.filter(email=agent.email).exists()
    client = Client(HTTP_HOST=GLOBEX_HOST)
    response = client.post("/accounts/login/", {"username": agent.email, "password": PASSWORD})
    assert response.status_code == 200
    assert b"Please enter a correct email" in response.content


def test_login_logout_round_trip(agent):
    client = Client(HTTP_HOST=ACME_HOST)
    assert client.get("/").status_code == 302
    response = client.post("/accounts/login/", {"username": agent.email, "password": PASSWORD}, follow=True)
    assert response.status_code == 200
    assert b"Welcome, alice" in response.content
    client.post("/accounts/logout/")
    assert client.get("/")["Location"].startswith("/accounts/login/")


def test_wrong_password_shows_an_error_and_keeps_the_email(agent):
    response = Client(HTTP_HOST=ACME_HOST).post("/accounts/login/", {"username": agent.email, "password": "nope"})
    assert b"Please enter a correct email" in response.content
    assert agent.email.encode() in response.content


def test_password_change(acme, agent, agent_client):
    response = agent_client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": "a-much-better-pass-9", "new_password2": "a-much-better-pass-9"},
    )
    assert response.status_code == 302
    with tenant_context(acme):
        agent.refresh_from_db()
    assert agent.check_password("a-much-better-pass-9")


def test_session_of_one_tenant_is_not_valid_on_another(agent_client):
    agent_client.defaults["HTTP_HOST"] = GLOBEX_HOST
    assert agent_client.get("/").status_code == 302


def test_manager_reaches_the_tenant_admin_and_agent_does_not(manager_client, agent_client):
    assert manager_client.get("/admin/accounts/user/").status_code == 200
    assert agent_client.get("/admin/accounts/user/").status_code == 302


def test_tenant_admin_hides_the_platform_schedules(manager_client, acme, manager):
    with tenant_context(acme):
        manager.is_superuser = True
        manager.save()
    assert manager_client.get("/admin/django_celery_beat/periodictask/").status_code == 404


def test_manager_creates_a_user_with_a_role_in_the_admin(acme, manager_client):
    response = manager_client.post(
        "/admin/accounts/user/add/",
        {
            "email": "newbie@acme.test",
            "full_name": "New Bie",
            "role": "agent",
            "password1": "a-much-better-pass-9",
            "password2": "a-much-better-pass-9",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenant_context(acme):
        assert User.objects.get(email="newbie@acme.test").role == "agent"


def test_manager_cannot_pick_the_admin_role_in_the_admin(manager_client):
    response = manager_client.get("/admin/accounts/user/add/")
    assert b'value="manager"' in response.content
    assert b'value="admin"' not in response.content


def test_manager_issues_an_api_key_in_the_admin_and_sees_it_once(acme, manager_client):
    response = manager_client.post("/admin/accounts/apikey/add/", {"name": "zendesk"}, follow=True)
    assert b"Copy the key now" in response.content
    raw = response.content.decode().split("will not be shown again: ")[1].split("<")[0].strip()
    me = Client(HTTP_HOST=ACME_HOST).get("/api/v1/me", headers={"Authorization": f"Api-Key {raw}"})
    assert me.json()["key"] == "zendesk"
