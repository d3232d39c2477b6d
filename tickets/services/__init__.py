"""Every write on tickets: create, update (status, priority, assignee, tags), replies, bulk actions, SLA, CSAT.

Views, the API, the admin and the tasks all call these, so the transition rules, the SLA
clock and the audit trail hold whatever the entry point. ``by`` is who acts: a user, an
API client, a contact (the customer) or ``None`` (the system).
"""

from tickets.services.attachments import (
    EXTRA_TYPES,
    attachment_validate,
    attachments_budget_check,
    attachments_check,
    attachments_save,
    ticket_attachment_text_set,
)
from tickets.services.audit import UNSET
from tickets.services.collab import changes_since, ticket_cc_set, ticket_follow, ticket_merge
from tickets.services.contacts import (
    contact_ensure,
    contact_for_public_request,
    contact_language_remember,
    parse_tags,
    tags_ensure,
)
from tickets.services.macros import PLACEHOLDERS, macro_actions_apply, macro_check, macro_render
from tickets.services.portal import (
    claim_request_confirmation,
    contact_claim_confirm,
    portal_request_submit,
    ticket_portal_links_revoke,
    ticket_rate,
)
from tickets.services.replies import note_add, reply_add
from tickets.services.sla import BreachCount, sla_due_times, sla_mark_breaches
from tickets.services.transitions import TRANSITIONS, transition_check
from tickets.services.workflow import (
    BulkResult,
    subject_one_line,
    ticket_assign,
    ticket_category_suggest,
    ticket_create,
    ticket_delete,
    ticket_transition,
    ticket_update,
    tickets_bulk_update,
)

__all__ = [
    "EXTRA_TYPES",
    "PLACEHOLDERS",
    "TRANSITIONS",
    "UNSET",
    "BreachCount",
    "BulkResult",
    "attachment_validate",
    "attachments_budget_check",
    "attachments_check",
    "attachments_save",
    "changes_since",
    "claim_request_confirmation",
    "contact_claim_confirm",
    "contact_ensure",
    "contact_for_public_request",
    "contact_language_remember",
    "macro_actions_apply",
    "macro_check",
    "macro_render",
    "note_add",
    "parse_tags",
    "portal_request_submit",
    "reply_add",
    "sla_due_times",
    "sla_mark_breaches",
    "subject_one_line",
    "tags_ensure",
    "ticket_assign",
    "ticket_attachment_text_set",
    "ticket_category_suggest",
    "ticket_cc_set",
    "ticket_create",
    "ticket_delete",
    "ticket_follow",
    "ticket_merge",
    "ticket_portal_links_revoke",
    "ticket_rate",
    "ticket_transition",
    "ticket_update",
    "tickets_bulk_update",
    "transition_check",
]
