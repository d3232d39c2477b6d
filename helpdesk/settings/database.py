"""PostgreSQL (django-tenants' backend, optional connection pool) and the Redis cache.

Without ``DATABASE_URL`` / ``REDIS_URL`` the embedded services of ``helpdesk.devstack`` are used.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

from helpdesk import devstack
from helpdesk.env import env_float, env_int, env_str, env_url


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
