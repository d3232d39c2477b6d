"""Secrets at rest (trackers' credentials, webhook secrets, mailbox passwords): Fernet with keys from
``INTEGRATIONS_KEYS`` (the first encrypts, all decrypt), so one key rotation covers every stored credential.

Without the variable, the embedded setup (settings) and a DEBUG setup generate a key into
``VAR_DIR/integrations_key`` once, as the secret key is; elsewhere a missing key is a
configuration error at first use.
"""

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
        raise ImproperlyConfigured(
            "INTEGRATIONS_KEYS must hold Fernet keys (32 url-safe base64 bytes), comma-separated; "
            "make one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
        ) from exc


def _keys() -> tuple[str, ...]:
    keys = tuple(k.strip() for k in settings.INTEGRATIONS_KEYS if k.strip())
    if keys:
        return keys
    if not settings.DEBUG:
        raise ImproperlyConfigured(
            "INTEGRATIONS_KEYS is required with your own DATABASE_URL when DEBUG is off (credentials are "
            "encrypted with it); make one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'"
        )
    return (devstack.integrations_key(settings.VAR_DIR),)


def encrypt(value: str) -> str:
    return _fernet(_keys()).encrypt(value.encode()).decode() if value else ""


def decrypt(value: str) -> str:
    if not value:
        return ""
    try:
        return _fernet(_keys()).decrypt(value.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "A stored secret cannot be decrypted with INTEGRATIONS_KEYS (was the key changed?)"
        ) from exc
