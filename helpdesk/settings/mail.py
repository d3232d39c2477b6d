"""E-mail: SMTP or files, the sender, and the absolute links mail carries."""

from __future__ import annotations

import re
import secrets

import dj_email_url
from django.core.exceptions import ImproperlyConfigured

from helpdesk.env import env_bool, env_choice, env_int, env_list, env_str
from helpdesk.settings.env import DEBUG, VAR_DIR

# Outgoing SMTP of the whole deployment in one variable, e.g. smtp+tls://user:password@mx.example:587
# (dj-email-url); it wins over the EMAIL_HOST, EMAIL_PORT … variables below.
EMAIL_URL = env_str("EMAIL_URL", "")
try:
    _url = dj_email_url.parse(EMAIL_URL) if EMAIL_URL else {}
except (KeyError, ValueError) as exc:
    raise ImproperlyConfigured(f"EMAIL_URL: not an e-mail URL such as smtp+tls://user:pass@host:587 ({exc})") from exc

# Without EMAIL_HOST, mail is written to files under VAR_DIR/mail (what `make run` uses);
# with it, Django's SMTP backend sends it. Mail always leaves from a worker (helpdesk.mail).
EMAIL_HOST = _url.get("EMAIL_HOST") or env_str("EMAIL_HOST", "")
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_PORT = _url.get("EMAIL_PORT") or env_int("EMAIL_PORT", 587, minimum=1, maximum=65535)
EMAIL_HOST_USER = _url.get("EMAIL_HOST_USER") or env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _url.get("EMAIL_HOST_PASSWORD") or env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _url["EMAIL_USE_TLS"] if _url else env_bool("EMAIL_USE_TLS", EMAIL_PORT == 587)
EMAIL_USE_SSL = _url["EMAIL_USE_SSL"] if _url else env_bool("EMAIL_USE_SSL", EMAIL_PORT == 465)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT_SECONDS", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Helpdesk <helpdesk@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Absolute links in e-mails: {domain} is the tenant's primary host (acme.localhost).
SITE_URL = env_str("SITE_URL", "http://{domain}:8000" if DEBUG else "https://{domain}")
if "{domain}" not in SITE_URL:
    raise ImproperlyConfigured("SITE_URL must contain {domain}, e.g. https://{domain}")

# --- Incoming mail (the mail app) ---
# Beat polls every IMAP mailbox this often; each poll takes at most MAIL_POLL_BATCH messages.
MAIL_POLL_SECONDS = env_int("MAIL_POLL_SECONDS", 60, minimum=5)
MAIL_POLL_BATCH = env_int("MAIL_POLL_BATCH", 200, minimum=1)
MAIL_IMAP_TIMEOUT_SECONDS = env_int("MAIL_IMAP_TIMEOUT_SECONDS", 20, minimum=1)
# A CA bundle for IMAP servers with a private certificate (empty: the system's CAs).
MAIL_IMAP_CA_FILE = env_str("MAIL_IMAP_CA_FILE", "")
# Messages one sender may turn into tickets or replies per window (count/window, window in s, m, h or d).
MAIL_SENDER_RATE = env_str("MAIL_SENDER_RATE", "30/1h")
if not re.fullmatch(r"\d+/\d*[smhd]", MAIL_SENDER_RATE):
    raise ImproperlyConfigured(f"MAIL_SENDER_RATE={MAIL_SENDER_RATE!r}: expected e.g. 30/1h")
# More addresses that are ours (mail from them is never a ticket), besides every mailbox and DEFAULT_FROM_EMAIL.
MAIL_OWN_ADDRESSES = env_list("MAIL_OWN_ADDRESSES", [])
# Provider inbound webhooks (django-anymail) at /mail/inbound/<provider>/inbound/ on the tenant's host. Every
# post must carry HTTP basic auth "user:password" from MAIL_INBOUND_WEBHOOK_SECRET (unset: a random secret
# nobody knows, so the webhooks are off), and Mailgun's also its signature (MAIL_MAILGUN_WEBHOOK_SIGNING_KEY).
MAIL_INBOUND_WEBHOOK_SECRET = env_str("MAIL_INBOUND_WEBHOOK_SECRET", "")
if MAIL_INBOUND_WEBHOOK_SECRET and ":" not in MAIL_INBOUND_WEBHOOK_SECRET:
    raise ImproperlyConfigured("MAIL_INBOUND_WEBHOOK_SECRET: expected user:password (HTTP basic auth)")
ANYMAIL = {
    "WEBHOOK_SECRET": MAIL_INBOUND_WEBHOOK_SECRET or f"off:{secrets.token_urlsafe(32)}",
    "MAILGUN_WEBHOOK_SIGNING_KEY": env_str("MAIL_MAILGUN_WEBHOOK_SIGNING_KEY", "") or secrets.token_urlsafe(32),
}
# The SMTP/LMTP listener (`manage.py mail_listen`, the Procfile's mail-listener): off while the port is 0.
MAIL_LISTENER_PORT = env_int("MAIL_LISTENER_PORT", 0, minimum=0, maximum=65535)
MAIL_LISTENER_HOST = env_str("MAIL_LISTENER_HOST", "127.0.0.1")
MAIL_LISTENER_PROTOCOL = env_choice("MAIL_LISTENER_PROTOCOL", "lmtp", {"lmtp", "smtp"})
MAIL_LISTENER_HOSTNAME = env_str("MAIL_LISTENER_HOSTNAME", "")
MAIL_LISTENER_MAX_BYTES = env_int("MAIL_LISTENER_MAX_BYTES", 30 * 1024 * 1024, minimum=1024)
