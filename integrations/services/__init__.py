"""Writes of the integrations app: connections, escalations (outbox rows), retries, back-sync.

Nothing here talks to another system inside a request: escalating writes an outbox row in the
caller's transaction and a worker does the rest (``outbox``); "Test connection" is the one
exception, a deliberate, bounded call that a manager asks for and waits on (``connections``).
"""

from integrations.services.connections import TestResult, connection_save, connection_test, reentry_errors
from integrations.services.escalations import live_escalation_exists, reply_mirror, ticket_escalate

__all__ = [
    "TestResult",
    "connection_save",
    "connection_test",
    "live_escalation_exists",
    "reentry_errors",
    "reply_mirror",
    "ticket_escalate",
]
