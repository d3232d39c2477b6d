"""Tickets: the queue, attachments, the public portal and its abuse limits, SLA checks, presence."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from helpdesk.env import env_int, env_list, env_str

TICKETS_PAGE_SIZE = env_int("TICKETS_PAGE_SIZE", 25, minimum=5)
TICKETS_ATTACHMENT_MAX_MB = env_int("TICKETS_ATTACHMENT_MAX_MB", 10, minimum=1)
TICKETS_ATTACHMENT_TYPES = [
    suffix.lower()
    for suffix in env_list(
        "TICKETS_ATTACHMENT_TYPES",
        [".png", ".jpg", ".jpeg", ".gif", ".webp", ".pdf", ".txt", ".log", ".csv", ".json", ".zip", ".docx", ".xlsx"],
    )
]
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
# Who else has a ticket open: a viewer counts as present this long after their last poll.
TICKETS_PRESENCE_SECONDS = env_int("TICKETS_PRESENCE_SECONDS", 40, minimum=5)
