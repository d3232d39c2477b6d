from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django_tenants.utils import tenant_context

from conftest import rolled_back_at_the_end
from helpdesk.accounts.models import ApiKey, User
from helpdesk.tenants.models import Domain, Tenant


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.parametrize("command", ["create_tenant", "create_user", "create_api_key", "demo", "check_worker"])
def test_every_command_has_help(command):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "manage.py", command, "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout


def test_create_tenant_is_idempotent(db):
    out, _ = run("create_tenant", "initech", "--name", "Initech", "--domain", "initech.localhost")
    assert "Created tenant initech" in out
    out, _ = run("create_tenant", "initech", "--name", "Initech Inc")
    assert "Already exists" in out
    assert Tenant.objects.get(schema_name="initech").name == "Initech Inc"
    assert list(Domain.objects.filter(tenant__schema_name="initech").values_list("domain", flat=True)) == [
        "initech.localhost"
    ]
    assert Client(HTTP_HOST="initech.localhost").get("/accounts/login/").status_code == 200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Bad-Name!"], "not a valid schema name"),
        (["public"], "platform schema"),
        (["initech", "--domain", "acme.localhost"], "already belongs to tenant 'acme'"),
    ],
)
def test_create_tenant_refuses_bad_input(db, args, message):
    with pytest.raises(CommandError, match=message):
        run("create_tenant", *args)


def test_create_user_prints_a_generated_password_once(acme):
    out, _ = run("create_user", "--tenant", "acme", "--email", "sam@acme.test", "--role", "manager")
    assert "Created sam@acme.test as manager in acme" in out
    password = out.split("password: ")[1].strip()
    with tenant_context(acme):
        assert User.objects.get(email="sam@acme.test").check_password(password)
    out, _ = run("create_user", "--tenant", "acme", "--email", "sam@acme.test", "--role", "agent")
    assert "Updated" in out and "password:" not in out
    with tenant_context(acme):
        assert User.objects.get(email="sam@acme.test").role == "agent"


def test_create_user_in_unknown_tenant_says_how_to_fix_it(db):
    with pytest.raises(CommandError, match="create_tenant initech"):
        run("create_user", "--tenant", "initech", "--email", "a@b.test", "--role", "agent")


def test_create_api_key_prints_it_once_and_rotates_on_request(acme):
    out, _ = run("create_api_key", "--tenant", "acme", "--name", "probe")
    raw = out.strip()
    assert raw.startswith("hd_")
    out, err = run("create_api_key", "--tenant", "acme", "--name", "probe")
    assert out == "" and "already exists" in err
    out, _ = run("create_api_key", "--tenant", "acme", "--name", "probe", "--rotate")
    assert out.strip().startswith("hd_") and out.strip() != raw
    with tenant_context(acme):
        assert ApiKey.objects.filter(name="probe", revoked_at__isnull=True).count() == 1
        assert ApiKey.objects.filter(name="probe").count() == 2


@pytest.fixture(scope="module")
def demo_output(romashka_tenant: Tenant, django_db_blocker: Any) -> Iterator[str]:
    """What `manage.py demo` printed, run once for this file's demo tests (it takes seconds); its rows are rolled
    back after the file. romashka's schema exists already, as acme's and globex's do."""
    with rolled_back_at_the_end(django_db_blocker):
        with django_db_blocker.unblock():
            out, _ = run("demo")
        yield out


def test_demo_is_idempotent_and_prints_the_logins(demo_output, db):
    first = demo_output
    second, _ = run("demo")
    assert "http://acme.localhost:8000/" in first and "agent@acme.test" in first
    assert first == second
    for schema in ("acme", "globex"):
        with tenant_context(Tenant.objects.get(schema_name=schema)):
            assert {u.role for u in User.objects.all()} >= {"agent", "manager"}


def test_demo_logins_work(demo_output, db, settings):
    client = Client(HTTP_HOST="acme.localhost")
    response = client.post("/accounts/login/", {"username": "agent@acme.test", "password": settings.DEMO_PASSWORD})
    assert response.status_code == 302
