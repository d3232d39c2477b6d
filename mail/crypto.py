"""Mailbox passwords at rest: Fernet with the integrations' keys (``INTEGRATIONS_KEYS``; the first
encrypts, all decrypt), so one key rotation covers every stored credential of a deployment."""

from __future__ import annotations

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from helpdesk import devstack


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured("INTEGRATIONS_KEYS must hold Fernet keys, comma-separated") from exc


def _keys() -> tuple[str, ...]:
    keys = tuple(k.strip() for k in settings.INTEGRATIONS_KEYS if k.strip())
    if keys:
        return keys
    if not settings.DEBUG:
        raise ImproperlyConfigured("INTEGRATIONS_KEYS is required to store mailbox passwords when DEBUG is off")
    return (devstack.integrations_key(settings.VAR_DIR),)


def encrypt(value: str) -> str:
    return _fernet(_keys()).encrypt(value.encode()).decode() if value else ""


def decrypt(value: str) -> str:
    if not value:
        return ""
    try:
        return _fernet(_keys()).decrypt(value.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured("A stored mailbox password cannot be decrypted with INTEGRATIONS_KEYS") from exc
