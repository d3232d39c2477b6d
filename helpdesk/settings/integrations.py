"""Integrations: trackers (Jira, Zendesk) with encrypted credentials, retries, leases, pulls and webhooks."""

from __future__ import annotations

from helpdesk import devstack
from helpdesk.env import env_float, env_int, env_list, env_str
from helpdesk.settings.env import VAR_DIR

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
# Outgoing webhook deliveries wait on other people's servers (up to OUTBOUND_DEADLINE_SECONDS each): on a
# queue and worker of their own (Procfile `webhooks`, a thread pool), so a slow or dripping receiver of
# one tenant never holds up mail, escalations and indexing of every tenant on the default worker.
WEBHOOKS_QUEUE = env_str("WEBHOOKS_QUEUE", "webhooks")
