"""E-mail that ticket changes send: customers get replies and status changes, agents get
assignments, mentions and what happens on tickets they follow.

The services call these after a change; ``helpdesk.mail.email_queue`` sends from a worker once
the transaction commits (retried), never inside the request. Times are shown in each agent's
own time zone; links are absolute, built from ``SITE_URL`` and the tenant's primary domain.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from helpdesk.accounts.models import User
from helpdesk.i18n import language_supported, tenant_default_language, user_language
from helpdesk.mail import email_queue, site_url, tenant_headers
from helpdesk.tenants.db import connection
from tickets import extensions, links
from tickets.models import Contact, Reply, ReplyKind, Status, Ticket
from tickets.selectors import agent_list

# An e-mail's subject, built inside its recipient's language.
Subject = Callable[[], str]

# Status changes a customer hears about; new -> open happens with the first reply, which is mailed anyway.
CUSTOMER_STATUSES = {Status.PENDING, Status.ON_HOLD, Status.SOLVED, Status.CLOSED}
# @alice, @alice@acme.test or @"Alice Smith" in a reply or note.
MENTION = re.compile(r'(?<![\w@])@(?:"([^"]{2,100})"|([\w.+-]+(?:@[\w-]+(?:\.[\w-]+)+)?))')


def _tenant_name() -> str:
    tenant = getattr(connection, "tenant", None)
    return str(getattr(tenant, "name", "") or _("Helpdesk"))


def contact_language(contact: Contact) -> str:
    """The language e-mails to ``contact`` are written in: theirs, else the tenant's default."""
    return language_supported(contact.language) or tenant_default_language()


@dataclass(frozen=True)
class StatusChange:
    """A status change, put into words in the reader's language when the e-mail is rendered."""

    old: str
    new: str

    def __str__(self) -> str:
        return _("Status changed from %(old)s to %(new)s") % {
            "old": Status(self.old).label,
            "new": Status(self.new).label,
        }


def local_time(value: datetime, user: User | None = None) -> str:
    zone = ZoneInfo(user.timezone) if user is not None and user.timezone else timezone.get_default_timezone()
    return timezone.localtime(value, zone).strftime("%Y-%m-%d %H:%M %Z")


def _send(*, to: Iterable[str], subject: Subject, template: str, context: dict[str, object], language: str) -> None:
    """Subject and body in ``language``; ``subject`` is called inside it so its words are translated too."""
    recipients = sorted({address.strip().lower() for address in to if address and address.strip()})
    if not recipients:
        return
    with translation.override(language):
        body = render_to_string(template, {"tenant_name": _tenant_name(), **context})
        text = subject()
    about = context.get("ticket") or context.get("source")
    thread = extensions.mail_thread(ticket=about, subject=text, to=recipients) if isinstance(about, Ticket) else None
    if thread is None:
        email_queue(to=recipients, subject=text, body=body, headers=tenant_headers())
        return
    email_queue(
        to=recipients,
        subject=text,
        body=body,
        headers={**tenant_headers(), **thread.headers},
        reply_to=thread.reply_to,
        from_email=thread.from_email,
    )


def _send_each_agent(*, users: Iterable[User], subject: Subject, template: str, context: dict[str, object]) -> None:
    # One message per agent: each sees times in their own time zone and words in their own language.
    for user in {u.pk: u for u in users if u.is_active and u.email}.values():
        _send(
            to=[user.email],
            subject=subject,
            template=template,
            context={**context, "recipient": user},
            language=user_language(user),
        )


def _status_link(ticket: Ticket, contact: Contact | None = None) -> str:
    return site_url(links.portal_path(ticket, contact=contact))


def _ticket_link(ticket: Ticket) -> str:
    return site_url(reverse("tickets:detail", kwargs={"number": ticket.number}))


def _customers(ticket: Ticket) -> list[Contact]:
    return [ticket.requester, *ticket.cc.exclude(pk=ticket.requester_id)]


def _followers(ticket: Ticket, *, besides: object) -> list[User]:
    people = list(ticket.followers.all())
    if ticket.assignee is not None:
        people.append(ticket.assignee)
    return [u for u in people if not (isinstance(besides, User) and u.pk == besides.pk)]


def request_received(*, ticket: Ticket) -> None:
    """A customer who wrote in (portal, widget, e-mail) gets the number and the status link."""
    _send(
        to=[ticket.requester.email],
        subject=lambda: (
            _("[%(reference)s] We received your request: %(subject)s")
            % {"reference": ticket.reference, "subject": ticket.subject}
        ),
        template="tickets/email/customer_received.txt",
        context={"ticket": ticket, "contact": ticket.requester, "link": _status_link(ticket)},
        language=contact_language(ticket.requester),
    )


def reply_sent(*, reply: Reply, by: object) -> None:
    """A public agent reply goes to the requester and CC; a customer's reply to the assignee and followers."""
    ticket = reply.ticket
    if reply.kind == ReplyKind.AI_DRAFT:
        return
    if reply.kind == ReplyKind.PUBLIC and not reply.is_from_customer:
        for contact in _customers(ticket):
            _send(
                to=[contact.email],
                subject=lambda: f"[{ticket.reference}] {ticket.subject}",
                template="tickets/email/customer_reply.txt",
                context={"ticket": ticket, "reply": reply, "contact": contact, "link": _status_link(ticket, contact)},
                language=contact_language(contact),
            )
    _send_each_agent(
        users=_followers(ticket, besides=by),
        subject=lambda: "[{reference}] {kind}: {subject}".format(
            reference=ticket.reference,
            kind=_("Customer reply") if reply.is_from_customer else reply.get_kind_display(),
            subject=ticket.subject,
        ),
        template="tickets/email/agent_update.txt",
        context={"ticket": ticket, "reply": reply, "link": _ticket_link(ticket), "when": reply.created_at},
    )
    mentions_notify(reply=reply, by=by)


def status_changed(*, ticket: Ticket, old: str, new: str, by: object) -> None:
    """Customers hear of pending, on hold, solved, closed and a reopening by the team; followers of every change."""
    reopened = old in (Status.SOLVED, Status.PENDING, Status.ON_HOLD) and new == Status.OPEN
    if (new in CUSTOMER_STATUSES or reopened) and not isinstance(by, Contact) and ticket.merged_into_id is None:
        for contact in _customers(ticket):
            _send(
                to=[contact.email],
                subject=lambda: (
                    _("[%(reference)s] Your request is now %(status)s")
                    % {"reference": ticket.reference, "status": str(Status(new).label).lower()}
                ),
                template="tickets/email/customer_status.txt",
                context={
                    "ticket": ticket,
                    "contact": contact,
                    "status": Status(new).label,
                    "link": _status_link(ticket, contact),
                },
                language=contact_language(contact),
            )
    _send_each_agent(
        users=_followers(ticket, besides=by),
        subject=lambda: (
            _("[%(reference)s] Status: %(status)s: %(subject)s")
            % {"reference": ticket.reference, "status": Status(new).label, "subject": ticket.subject}
        ),
        template="tickets/email/agent_update.txt",
        context={
            "ticket": ticket,
            "change": StatusChange(old=old, new=new),
            "link": _ticket_link(ticket),
            "when": timezone.now(),
        },
    )


def assigned(*, ticket: Ticket, assignee: User | None, by: object) -> None:
    """The new assignee hears of it, unless they took the ticket themselves."""
    if assignee is None or (isinstance(by, User) and by.pk == assignee.pk):
        return
    _send_each_agent(
        users=[assignee],
        subject=lambda: (
            _("[%(reference)s] Assigned to you: %(subject)s")
            % {"reference": ticket.reference, "subject": ticket.subject}
        ),
        template="tickets/email/agent_assigned.txt",
        context={"ticket": ticket, "by": by, "link": _ticket_link(ticket), "when": timezone.now()},
    )


def mentioned_users(text: str) -> list[User]:
    """Active agents named in ``text`` as @local-part, @email or @"Full Name"."""
    wanted_names, wanted = set(), set()
    for quoted, plain in MENTION.findall(text):
        if quoted:
            wanted_names.add(quoted.strip().lower())
        else:
            wanted.add(plain.lower().rstrip("."))
    if not wanted and not wanted_names:
        return []
    found = []
    for user in agent_list():
        email = user.email.lower()
        if email in wanted or email.split("@")[0] in wanted or user.full_name.strip().lower() in wanted_names:
            found.append(user)
    return found


def mentions_notify(*, reply: Reply, by: object) -> None:
    if reply.is_from_customer:
        return
    users = [u for u in mentioned_users(reply.body) if not (isinstance(by, User) and u.pk == by.pk)]
    _send_each_agent(
        users=users,
        subject=lambda: (
            _("[%(reference)s] %(who)s mentioned you: %(subject)s")
            % {"reference": reply.ticket.reference, "who": reply.author_display, "subject": reply.ticket.subject}
        ),
        template="tickets/email/agent_mentioned.txt",
        context={"ticket": reply.ticket, "reply": reply, "link": _ticket_link(reply.ticket), "when": reply.created_at},
    )


def merged(*, source: Ticket, target: Ticket, by: object) -> None:
    """The duplicate's requester learns where the conversation goes on.

    The mail goes to the requester's address; for an unverified claim that is the real contact's
    mailbox, so the link (if any) is the real contact's, and only when they can open ``target``.
    """
    contact = source.requester.claim_of or source.requester
    can_open = contact.pk == target.requester_id or target.cc.filter(pk=contact.pk).exists()
    _send(
        to=[source.requester.email],
        subject=lambda: (
            _("[%(reference)s] Your request continues as %(target)s")
            % {"reference": source.reference, "target": target.reference}
        ),
        template="tickets/email/customer_merged.txt",
        context={
            "source": source,
            "target": target,
            "contact": source.requester,
            "link": _status_link(target, contact) if can_open else "",
        },
        language=contact_language(source.requester),
    )
