"""Secrets at rest: encrypted with INTEGRATIONS_KEYS, rotatable, a clear error without a key."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from helpdesk import crypto


def test_round_trip_and_rotation(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.INTEGRATIONS_KEYS = [old]
    stored = crypto.encrypt("jira-api-token")
    assert "jira-api-token" not in stored and crypto.decrypt(stored) == "jira-api-token"

    settings.INTEGRATIONS_KEYS = [new, old]  # rotation: the new key first, the old one still reads
    assert crypto.decrypt(stored) == "jira-api-token"
    settings.INTEGRATIONS_KEYS = [new]
    with pytest.raises(ImproperlyConfigured, match="cannot be decrypted"):
        crypto.decrypt(stored)


def test_a_key_is_required_without_debug_and_generated_with_it(settings, tmp_path):
    settings.INTEGRATIONS_KEYS = []
    settings.DEBUG = False
    with pytest.raises(ImproperlyConfigured, match="INTEGRATIONS_KEYS is required"):
        crypto.encrypt("x")
    settings.DEBUG, settings.VAR_DIR = True, tmp_path
    stored = crypto.encrypt("x")
    assert (tmp_path / "integrations_key").exists() and crypto.decrypt(stored) == "x"
    settings.INTEGRATIONS_KEYS = ["not a key"]
    with pytest.raises(ImproperlyConfigured, match="Fernet keys"):
        crypto.encrypt("x")


def _run(probe: str, **env: str) -> subprocess.CompletedProcess[str]:
    """A fresh process of this checkout, as `make run` and its `manage.py` commands start one."""
    drop = {"SECRET_KEY", "DEBUG", "DATABASE_URL", "INTEGRATIONS_KEYS", "DJANGO_SETTINGS_MODULE", "VAR_DIR"}
    clean = {k: v for k, v in os.environ.items() if k not in drop}
    return subprocess.run(
        [sys.executable, "-c", probe],
        env={**clean, "ENV_FILE": "/nonexistent/.env", "DJANGO_SETTINGS_MODULE": "helpdesk.settings", **env},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )


SETUP = "import django; django.setup(); from helpdesk import crypto; "


def test_the_embedded_setup_keeps_its_own_key_in_var_with_debug_off(tmp_path):
    # `make run`: DEBUG off, no DATABASE_URL, no INTEGRATIONS_KEYS.
    first = _run(SETUP + "print(crypto.encrypt('токен Jira'))", DEBUG="0", VAR_DIR=str(tmp_path))
    assert first.returncode == 0, first.stderr
    key = tmp_path / "integrations_key"
    assert key.stat().st_mode & 0o777 == 0o600 and Fernet(key.read_text().encode())

    # A later process (the web server, the worker, the next `make run`) reads what was stored.
    stored = first.stdout.strip()
    later = _run(SETUP + f"print(crypto.decrypt({stored!r}))", DEBUG="0", VAR_DIR=str(tmp_path))
    assert later.returncode == 0, later.stderr
    assert later.stdout.strip() == "токен Jira"


def test_a_deployment_with_its_own_database_must_set_the_key(tmp_path):
    result = _run(
        SETUP + "crypto.encrypt('x')",
        DEBUG="0",
        VAR_DIR=str(tmp_path),
        SECRET_KEY="k" * 50,
        DATABASE_URL="postgresql://helpdesk:x@db:5432/helpdesk",
    )
    assert result.returncode != 0
    assert "INTEGRATIONS_KEYS is required with your own DATABASE_URL" in result.stderr
    assert not (tmp_path / "integrations_key").exists()


def test_devstack_makes_one_key_however_many_processes_ask(tmp_path):
    from helpdesk import devstack

    keys = {devstack.integrations_key(tmp_path) for _ in range(3)}
    assert len(keys) == 1 and Fernet(keys.pop().encode())
    assert [p.name for p in tmp_path.iterdir()] == ["integrations_key"]
