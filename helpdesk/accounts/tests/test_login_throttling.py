"""Login throttling and lockout (django-axes), counted per tenant schema and for the platform admin."""

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django_tenants.utils import schema_context

from conftest import ACME_HOST, GLOBEX_HOST, PASSWORD, make_user

LOGIN = "/accounts/login/"


def sign_in(host: str, email: str, password: str, ip: str = "127.0.0.1", path: str = LOGIN, **extra: str):
    client = Client(HTTP_HOST=host, REMOTE_ADDR=ip)
    return client, client.post(path, {"username": email, "password": password, **extra})


def fail(times: int, host: str, email: str, ip: str = "127.0.0.1", path: str = LOGIN) -> None:
    """Wrong passwords; the one that reaches the limit is answered with the lockout page."""
    limit = settings.AXES_FAILURE_LIMIT
    for attempt in range(1, times + 1):
        _, response = sign_in(host, email, "not-the-password", ip, path)
        assert response.status_code == (429 if attempt >= limit else 200)


@pytest.fixture
def alice(agent):
    return agent


def test_five_wrong_passwords_lock_the_account_out_even_with_the_right_one(alice, settings):
    fail(settings.AXES_FAILURE_LIMIT - 1, ACME_HOST, alice.email)
    _, last_wrong = sign_in(ACME_HOST, alice.email, "still-wrong")
    assert last_wrong.status_code == 429
    client, response = sign_in(ACME_HOST, alice.email, PASSWORD)
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()
    assert f"paused for {settings.LOGIN_LOCKOUT_MINUTES} minutes" in response.content.decode()
    assert client.get("/tickets/").status_code == 302  # not signed in


def test_a_correct_password_before_the_limit_resets_the_count(alice, settings):
    fail(settings.AXES_FAILURE_LIMIT - 1, ACME_HOST, alice.email)
    _, ok = sign_in(ACME_HOST, alice.email, PASSWORD)
    assert ok.status_code == 302
    fail(settings.AXES_FAILURE_LIMIT - 1, ACME_HOST, alice.email)
    _, again = sign_in(ACME_HOST, alice.email, PASSWORD)
    assert again.status_code == 302


def test_case_of_the_email_does_not_buy_more_attempts(alice, settings):
    for index in range(settings.AXES_FAILURE_LIMIT):
        variant = alice.email.upper() if index % 2 else alice.email.title()
        sign_in(ACME_HOST, variant, "wrong")
    _, response = sign_in(ACME_HOST, alice.email, PASSWORD)
    assert response.status_code == 429


def test_an_attacker_elsewhere_cannot_lock_a_colleague_out(alice, settings):
    fail(settings.AXES_FAILURE_LIMIT, ACME_HOST, alice.email, ip="203.0.113.66")
    assert sign_in(ACME_HOST, alice.email, PASSWORD, ip="203.0.113.66")[1].status_code == 429
    assert sign_in(ACME_HOST, alice.email, PASSWORD, ip="198.51.100.10")[1].status_code == 302


def test_the_tenant_admin_login_counts_towards_the_same_lock(alice, settings):
    fail(settings.AXES_FAILURE_LIMIT, ACME_HOST, alice.email, path="/admin/login/")
    assert sign_in(ACME_HOST, alice.email, PASSWORD)[1].status_code == 429


def test_lockouts_are_kept_per_tenant(alice, globex, settings):
    namesake = make_user(globex, alice.email, "agent")  # the same address is a different account at Globex
    fail(settings.AXES_FAILURE_LIMIT, ACME_HOST, alice.email)
    assert sign_in(ACME_HOST, alice.email, PASSWORD)[1].status_code == 429
    assert sign_in(GLOBEX_HOST, namesake.email, PASSWORD)[1].status_code == 302
    with schema_context("acme"):
        assert AccessAttempt.objects.filter(username=alice.email).exists()
    with schema_context("globex"):
        assert not AccessAttempt.objects.filter(username=alice.email, failures_since_start__gt=0).exists()
    with schema_context("public"):
        assert not AccessAttempt.objects.exists()


def test_platform_admin_login_is_throttled_in_the_public_schema(db, alice, settings):
    from helpdesk.accounts.models import User

    with schema_context("public"):
        User.objects.create_superuser("root@helpdesk.test", "platform-pass-1")
    admin = {"path": "/admin/login/", "next": "/admin/"}
    fail(settings.AXES_FAILURE_LIMIT, "localhost", "root@helpdesk.test", path="/admin/login/")
    assert sign_in("localhost", "root@helpdesk.test", "platform-pass-1", **admin)[1].status_code == 429
    with schema_context("public"):
        assert AccessAttempt.objects.get(username="root@helpdesk.test").failures_since_start >= 5
    # The tenant sites keep their own counts: Acme's agent signs in from the same address.
    assert sign_in(ACME_HOST, alice.email, PASSWORD)[1].status_code == 302


def test_behind_a_proxy_the_forwarded_address_is_counted_not_the_proxys(alice, settings):
    settings.PROXY_COUNT = 1
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client(HTTP_HOST=ACME_HOST, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.66").post(
            LOGIN, {"username": alice.email, "password": "wrong"}
        )
    # A forged first hop does not change the address the proxy saw.
    forged = Client(HTTP_HOST=ACME_HOST, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.66")
    assert forged.post(LOGIN, {"username": alice.email, "password": PASSWORD}).status_code == 429
    colleague = Client(HTTP_HOST=ACME_HOST, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.10")
    assert colleague.post(LOGIN, {"username": alice.email, "password": PASSWORD}).status_code == 302


def test_admins_see_and_lift_their_own_sites_lockouts(alice, acme, settings):
    from conftest import login_client
    from helpdesk.accounts.models import User

    fail(settings.AXES_FAILURE_LIMIT, ACME_HOST, alice.email)
    admin_user = make_user(acme, "ada@acme.test", "admin")
    tenant_admin = login_client(acme, admin_user, ACME_HOST)
    listing = tenant_admin.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and alice.email in listing.content.decode()
    with schema_context("acme"):
        attempt = AccessAttempt.objects.get(username=alice.email)
    deleted = tenant_admin.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    assert sign_in(ACME_HOST, alice.email, PASSWORD)[1].status_code == 302

    platform = Client(HTTP_HOST="localhost")
    with schema_context("public"):  # the platform's users and sessions live in public
        root = User.objects.create_superuser("root@helpdesk.test", "platform-pass-1")
        platform.force_login(root)
    assert platform.get("/admin/axes/accessattempt/").status_code == 200
    assert alice.email not in platform.get("/admin/axes/accessattempt/").content.decode()
