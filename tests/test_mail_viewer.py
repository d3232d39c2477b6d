"""/dev/mail/: with DEBUG on, the mail the file backend wrote, each tenant seeing only its own."""

from __future__ import annotations

from pathlib import Path

import pytest
from django_tenants.utils import schema_context

from helpdesk import mail


@pytest.fixture
def mailbox(settings, tmp_path: Path) -> Path:
    settings.DEBUG = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path
    for schema, subject in [("acme", "Your request #1001"), ("globex", "Globex secret #77")]:
        with schema_context(schema):
            headers = mail.tenant_headers()
        mail.send_email.apply(
            kwargs={
                "to": [f"kim@{schema}.example"],
                "subject": subject,
                "body": f"Body of {subject}",
                "headers": headers,
            }
        ).get()
    return tmp_path


def test_staff_see_their_tenants_mail_only(mailbox, manager_client):
    html = manager_client.get("/dev/mail/").content.decode()
    assert "Your request #1001" in html and "Globex secret" not in html
    key = html.split('href="/dev/mail/')[1].split("/")[0]
    detail = manager_client.get(f"/dev/mail/{key}/").content.decode()
    assert "Body of Your request #1001" in detail and "kim@acme.example" in detail


def test_others_and_production_get_404(mailbox, agent_client, manager_client, outsider_client, settings):
    assert agent_client.get("/dev/mail/").status_code == 404  # not staff
    globex_view = outsider_client.get("/dev/mail/")
    assert globex_view.status_code == 404  # an agent of globex is not staff either
    html = manager_client.get("/dev/mail/").content.decode()
    key = html.split('href="/dev/mail/')[1].split("/")[0]
    assert manager_client.get("/dev/mail/../../etc/passwd/").status_code == 404
    settings.DEBUG = False
    assert manager_client.get("/dev/mail/").status_code == 404
    assert manager_client.get(f"/dev/mail/{key}/").status_code == 404


def test_another_tenants_message_is_404_by_its_key(mailbox, manager_client, globex):
    from conftest import GLOBEX_HOST, login_client, make_user

    boss = make_user(globex, "boss@globex.test", "manager")
    globex_client = login_client(globex, boss, GLOBEX_HOST)
    globex_html = globex_client.get("/dev/mail/").content.decode()
    assert "Globex secret #77" in globex_html and "Your request #1001" not in globex_html
    key = globex_html.split('href="/dev/mail/')[1].split("/")[0]
    assert manager_client.get(f"/dev/mail/{key}/").status_code == 404
