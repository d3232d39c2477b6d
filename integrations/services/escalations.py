"""Escalations: a ticket asked for in a tracker, and agents' replies mirrored as comments (outbox rows).

Nothing here talks to another system: each write is an outbox row in the caller's transaction,
and a worker does the rest (``integrations.services.outbox``).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from helpdesk.accounts.models import User
from integrations.models import Action, Connection, ExternalRef, OutboxItem, Source, WorkStatus
from integrations.registry import system_label
from integrations.services.outbox import outbox_enqueue
from tickets.models import Reply, ReplyKind, Ticket
from tickets.services.audit import audit_event


def _actor_name(by: object) -> tuple[User | None, str]:
    if isinstance(by, User):
        return by, str(by)
    return None, str(by or "System")[:200]


@transaction.atomic
def ticket_escalate(
    *, ticket: Ticket, system: str, by: object, source: str = Source.AGENT, reasons: str = ""
) -> OutboxItem:
    """Ask for an issue in ``system`` for ``ticket``: an outbox row in this transaction, a worker after commit.

    Refused (``ValidationError``) when the tracker is not connected or disabled, or the ticket is
    already linked there or on its way.
    """
    if source not in Source.values:
        raise ValidationError({"source": _("Unknown source %(source)r.") % {"source": source}})
    conn = Connection.objects.filter(system=system).first()
    label = system_label(system)
    if conn is None:
        raise ValidationError(
            {
                "system": _("%(system)s is not connected; a manager can set it up under Integrations.")
                % {"system": label}
            }
        )
    if not conn.enabled:
        raise ValidationError({"system": _("The %(system)s connection is switched off.") % {"system": label}})
    ref = ExternalRef.objects.filter(ticket=ticket, connection=conn, instance=conn.instance).first()
    if ref is not None:
        raise ValidationError(
            {
                "system": _("Ticket #%(number)s is already linked to %(key)s in %(system)s.")
                % {"number": ticket.number, "key": ref.key, "system": label}
            }
        )
    user, name = _actor_name(by)
    try:
        with transaction.atomic():
            item = OutboxItem.objects.create(
                connection=conn,
                instance=conn.instance,
                ticket=ticket,
                action=Action.CREATE,
                source=source,
                requested_by=user,
                requested_by_name=name,
                reasons=reasons.strip()[:2000],
            )
    except IntegrityError:
        raise ValidationError(
            {
                "system": _("Ticket #%(number)s is already being escalated to %(system)s.")
                % {"number": ticket.number, "system": label}
            }
        ) from None
    audit_event(ticket, by, "escalated", "", f"{label} ({Source(source).label.lower()})").save()
    outbox_enqueue(item)
    return item


def reply_mirror(*, reply: Reply) -> list[OutboxItem]:
    """An agent's reply or note on a linked ticket goes to each linked tracker as a comment."""
    if reply.author_user_id is None or reply.kind == ReplyKind.AI_DRAFT:
        return []
    items = []
    for ref in ExternalRef.objects.filter(ticket_id=reply.ticket_id, connection__enabled=True).select_related(
        "connection"
    ):
        if not ref.current:
            continue  # linked on a site the connection moved away from; the same key names another issue now
        item = OutboxItem.objects.create(
            connection=ref.connection,
            instance=ref.instance,
            ticket_id=reply.ticket_id,
            action=Action.COMMENT,
            reply=reply,
            source=Source.AGENT,
        )
        outbox_enqueue(item)
        items.append(item)
    return items


def live_escalation_exists(*, ticket: Ticket, connection: Connection) -> bool:
    return OutboxItem.objects.filter(
        ticket=ticket, connection=connection, action=Action.CREATE, status__in=(WorkStatus.PENDING, WorkStatus.RUNNING)
    ).exists()
