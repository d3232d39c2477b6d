"""Signals the ticket services send inside their transaction, for apps that react (outgoing webhooks).

Receivers must only write rows and enqueue work on commit: no network calls here.
"""

from django.dispatch import Signal

# kwargs: ticket, by
ticket_created = Signal()
# kwargs: ticket, by, changes (the audit rows: field, old_value, new_value)
ticket_updated = Signal()
# kwargs: reply, by
reply_created = Signal()
