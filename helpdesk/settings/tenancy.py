"""Tenancy (django-tenants: one PostgreSQL schema per tenant), URL configurations and the request pipeline.

The app lists (SHARED_APPS, TENANT_APPS, INSTALLED_APPS) are assembled in ``helpdesk/settings/__init__.py``.
"""

from __future__ import annotations

from helpdesk.env import env_list, env_str
from helpdesk.settings.env import BASE_DIR

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
PUBLIC_SCHEMA_URLCONF = "helpdesk.urls_public"
ROOT_URLCONF = "helpdesk.urls"
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
# Hosts of the public site (landing page, platform admin); `demo` registers them.
PUBLIC_DOMAINS = env_list("PUBLIC_DOMAINS", ["localhost", "127.0.0.1"])
# The base domain a tenant's default host hangs off: acme -> acme.localhost.
TENANT_BASE_DOMAIN = env_str("TENANT_BASE_DOMAIN", "localhost")
# The password of the users `demo` creates.
DEMO_PASSWORD = env_str("DEMO_PASSWORD", "helpdesk-demo")
# The languages a tenant may say its customers write in (Tenant.language); it picks a new tenant's
# embedding model (EMBEDDING_MODEL_FOR_ENGLISH, else EMBEDDING_MODEL_FOR_OTHER_LANGUAGES).
TENANT_LANGUAGES = [
    ("en", "English"),
    ("ru", "Russian"),
    ("de", "German"),
    ("fr", "French"),
    ("es", "Spanish"),
    ("it", "Italian"),
    ("pt", "Portuguese"),
    ("nl", "Dutch"),
    ("uk", "Ukrainian"),
]

# The content-security policy (csp) and login throttling (axes) middlewares are configured in security.py.
MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "helpdesk.tenants.middleware.TenantMiddleware",
    "helpdesk.logging.RequestContextMiddleware",
    "tickets.middleware.PortalFloodMiddleware",  # before anything reads a portal post's body
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",  # the browser's language first (i18n.py) ...
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "helpdesk.accounts.middleware.UserTimezoneMiddleware",
    "helpdesk.accounts.middleware.UserLanguageMiddleware",  # ... then the user's, the tenant's choice
    "django.contrib.messages.middleware.MessageMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "helpdesk.navigation.navigation",
                "csp.context_processors.nonce",  # {{ CSP_NONCE }} for inline scripts (security.py)
            ],
            # |shown: a text a worker stored, in the reader's language (helpdesk/stored_text.py)
            "builtins": ["helpdesk.text_filters"],
        },
    },
]

WSGI_APPLICATION = "helpdesk.wsgi.application"
ASGI_APPLICATION = "helpdesk.asgi.application"
