"""E-mail: SMTP or files, the sender, and the absolute links mail carries."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from helpdesk.env import env_bool, env_int, env_str
from helpdesk.settings.env import DEBUG, VAR_DIR

# Without EMAIL_HOST, mail is written to files under VAR_DIR/mail (what `make run` uses);
# with it, Django's SMTP backend sends it. Mail always leaves from a worker (helpdesk.mail).
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", EMAIL_PORT == 587)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", EMAIL_PORT == 465)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT_SECONDS", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Helpdesk <helpdesk@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Absolute links in e-mails: {domain} is the tenant's primary host (acme.localhost).
SITE_URL = env_str("SITE_URL", "http://{domain}:8000" if DEBUG else "https://{domain}")
if "{domain}" not in SITE_URL:
    raise ImproperlyConfigured("SITE_URL must contain {domain}, e.g. https://{domain}")
