"""The ops endpoints: /health (checks by dotted path) and /metrics (who may read it)."""

from __future__ import annotations

from helpdesk.env import env_int, env_list, env_str

HEALTH_CHECKS = {
    "database": "helpdesk.health.check_database",
    "redis": "helpdesk.health.check_redis",
    "celery": "helpdesk.health.check_celery",
    "llm": "helpdesk.ai.registry.check_llm",
    "vision": "assistants.vision.health.check_vision",
}
HEALTH_REQUIRED = env_list("HEALTH_REQUIRED", ["database", "redis", "celery"])
HEALTH_TIMEOUT_SECONDS = float(env_int("HEALTH_TIMEOUT_MS", 1500, minimum=100)) / 1000

# /metrics: with `Authorization: Bearer <METRICS_TOKEN>`, or on the public host from these addresses
# (networks allowed). On a tenant host the token shows no series labelled with a tenant.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", ["127.0.0.1", "::1"])
