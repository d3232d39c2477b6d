"""The tenant admin: its name, the roles it offers, and inviting people by e-mail instead of setting passwords."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django_tenants.utils import tenant_context

from conftest import ACME_HOST
from helpdesk.accounts.models import User
from helpdesk.celery import app


@pytest.fixture
def outbox(settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    app.conf.task_always_eager = True
    mail.outbox.clear()
    yield lambda: django_capture_on_commit_callbacks(execute=True)
    app.conf.task_always_eager = False


def test_tenant_admin_carries_the_product_and_tenant_name(manager_client, public_client):
    html = manager_client.get("/admin/").content.decode()
    assert "Helpdesk · Acme Corporation</a>" in html and "Django administration" not in html
    assert "<title>Site administration | Helpdesk · Acme Corporation</title>" in html.replace("\n", "")
    assert "favicon.svg" in html
    platform = public_client.get("/admin/login/").content.decode()
    assert "Helpdesk platform" in platform and "Acme" not in platform


def test_roles_offered_are_the_roles_that_exist(manager_client, agent):
    listing = manager_client.get("/admin/accounts/user/").content.decode()
    assert "By role" in listing and "By groups" not in listing
    assert "?role=agent" in listing and "No role" in listing
    assert ">Agent<" in listing  # the role column reads as a word
    form = manager_client.get("/admin/accounts/user/add/").content.decode()
    assert 'value="agent"' in form and 'value="manager"' in form and 'value="admin"' not in form
    assert 'name="password1"' not in form and "link to choose their password" in form


def test_manager_invites_by_email_and_the_invitee_sets_a_password(acme, manager_client, outbox):
    with outbox():
        response = manager_client.post(
            "/admin/accounts/user/add/", {"email": "Newbie@Acme.test", "full_name": "New Bie", "role": "agent"}
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenant_context(acme):
        newbie = User.objects.get(email="newbie@acme.test")
        assert newbie.role == "agent" and not newbie.has_usable_password()
    [invitation] = mail.outbox
    assert invitation.to == ["newbie@acme.test"] and "Acme Corporation helpdesk" in invitation.subject
    link = next(line for line in invitation.body.splitlines() if "/accounts/invite/" in line).strip()
    path = "/" + link.split("/", 3)[3]
    browser = Client(HTTP_HOST=ACME_HOST)
    form = browser.get(path, follow=True)
    assert "Choose your password" in form.content.decode()
    set_url = form.redirect_chain[-1][0] if form.redirect_chain else path
    done = browser.post(set_url, {"new_password1": "orange-kite-4711", "new_password2": "orange-kite-4711"})
    assert done.status_code == 302
    signed_in = Client(HTTP_HOST=ACME_HOST).post(
        "/accounts/login/", {"username": "newbie@acme.test", "password": "orange-kite-4711"}
    )
    assert signed_in.status_code == 302 and signed_in["Location"] == "/"
    with tenant_context(acme):
        newbie.refresh_from_db()
        assert newbie.check_password("orange-kite-4711")
    used = Client(HTTP_HOST=ACME_HOST).get(path, follow=True).content.decode()
    assert "no longer works" in used  # a link works once


def test_inviting_an_existing_account_is_refused_and_resending_works(acme, manager_client, agent, outbox):
    from helpdesk.accounts.services import user_invite

    with tenant_context(acme), pytest.raises(Exception, match="already has an account"):
        user_invite(email=agent.email, role="agent")
    with outbox():
        manager_client.post("/admin/accounts/user/add/", {"email": "late@acme.test", "role": "agent"})
    with tenant_context(acme):
        late = User.objects.get(email="late@acme.test")
    mail.outbox.clear()
    with outbox():
        response = manager_client.post(
            "/admin/accounts/user/",
            {"action": "resend_invitation", "_selected_action": [late.pk, agent.pk]},
            follow=True,
        )
    assert "Sent 1 invitation;" in response.content.decode()
    assert [m.to for m in mail.outbox] == [["late@acme.test"]]
