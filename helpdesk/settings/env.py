"""Paths, the `.env` file, DEBUG, the secret key and the served host names.

`.env.example` lists each variable with its default. A `.env` file at the repo root (or ``ENV_FILE``)
is read here, before any other setting; real environment variables win over it.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv

from helpdesk.env import env_bool, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
load_dotenv(env_str("ENV_FILE", str(BASE_DIR / ".env")), override=False)
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var"))).resolve()

DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        return key
    # The embedded setup (`make run`: no DATABASE_URL) keeps a generated key in var/, DEBUG or not;
    # a deployment with its own database must bring its key.
    if not DEBUG and env_str("DATABASE_URL"):
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off (or set SECRET_KEY_FILE)")
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [".localhost", "localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)

TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_TZ = True
