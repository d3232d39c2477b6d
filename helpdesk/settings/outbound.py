"""Outbound requests (helpdesk/outbound.py): which addresses they may reach and how long they may take."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from helpdesk.env import env_float, env_networks

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
