"""Secrets at rest: encrypted with INTEGRATIONS_KEYS, rotatable, a clear error without a key."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from integrations import crypto


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
