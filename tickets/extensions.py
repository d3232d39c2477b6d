"""The one way higher apps extend tickets: page panels, attachment processors and event listeners.

Each app registers its pieces from its ``AppConfig.ready()``; tickets renders and calls them without
naming the app:

- a **panel** is a section of the ticket page's side column (``{% ticket_panels ticket %}``), drawn
  from the app's ``template`` or, with ``url_name``, a section that loads ``url_name`` (the ticket's
  number as its argument) when the page opens. Panels come in ``order``; ``permission`` hides one
  from a user without it.
- an **attachment processor** gets every new attachment's id sent to its Celery ``task`` (by name,
  once the transaction commits), adds ``details(attachment)`` to the API's attachment, and draws
  ``template`` (with ``context(context, attachments)``) under a list of attachments on the page
  (``{% attachment_details files %}``).
- a **mail threader** (one) gives every e-mail about a ticket its threading: headers (Message-ID,
  In-Reply-To, References), a reply-to address and a sender. It is called inside the transaction that
  queues the mail, so it may record what it gave out.
- a **listener** is called with the event's keyword arguments when tickets ``emit()`` an event, inside
  the transaction that made the change: it may write rows and enqueue work on commit, never call out.

Registering a key again replaces the earlier registration (``ready()`` may run more than once).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from helpdesk.celery import send_on_commit

if TYPE_CHECKING:
    from django.template import Context

    from tickets.models import Attachment, Ticket

# Events and their keyword arguments.
TICKET_CREATED = "ticket_created"  # ticket, by
TICKET_UPDATED = "ticket_updated"  # ticket, by, changes (the audit rows: field, old_value, new_value)
REPLY_CREATED = "reply_created"  # reply, by
EVENTS = (TICKET_CREATED, TICKET_UPDATED, REPLY_CREATED)


@dataclass(frozen=True)
class Panel:
    key: str
    template: str = ""
    url_name: str = ""
    title: str = ""
    order: int = 100
    permission: str = ""


@dataclass(frozen=True)
class AttachmentProcessor:
    key: str
    task: str = ""
    details: Callable[[Attachment], dict[str, Any] | None] | None = None
    template: str = ""
    context: Callable[[Context, Sequence[Attachment]], dict[str, Any]] | None = None


@dataclass(frozen=True)
class MailThread:
    headers: dict[str, str]
    reply_to: list[str]
    from_email: str = ""


_panels: dict[str, Panel] = {}
_mail_threader: list[Callable[..., MailThread | None]] = []
_processors: dict[str, AttachmentProcessor] = {}
_listeners: dict[str, list[Callable[..., object]]] = {event: [] for event in EVENTS}


def register_panel(
    key: str,
    *,
    template: str = "",
    url_name: str = "",
    title: str = "",
    order: int = 100,
    permission: str = "",
) -> None:
    """Add a section to the ticket page's side column: ``template``, or one that loads ``url_name``."""
    if bool(template) == bool(url_name):
        raise ValueError(f"Panel {key!r}: give either a template or a url_name.")
    _panels[key] = Panel(
        key=key, template=template, url_name=url_name, title=title or key, order=order, permission=permission
    )


def panels(user: Any = None) -> list[Panel]:
    """The registered panels ``user`` may see (without a user: those that need no permission), in page order."""
    chosen = sorted(_panels.values(), key=lambda panel: (panel.order, panel.key))
    return [panel for panel in chosen if not panel.permission or (user is not None and user.has_perm(panel.permission))]


def register_attachment_processor(
    key: str,
    *,
    task: str = "",
    details: Callable[[Attachment], dict[str, Any] | None] | None = None,
    template: str = "",
    context: Callable[[Context, Sequence[Attachment]], dict[str, Any]] | None = None,
) -> None:
    """Send every new attachment to ``task``; show ``details`` in the API and ``template`` on the page."""
    if bool(template) != bool(context):
        raise ValueError(f"Attachment processor {key!r}: a template needs its context, and the other way round.")
    _processors[key] = AttachmentProcessor(key=key, task=task, details=details, template=template, context=context)


def attachment_processors() -> list[AttachmentProcessor]:
    return sorted(_processors.values(), key=lambda processor: processor.key)


def attachment_announce(*, attachment_id: int) -> None:
    """Send a new attachment's id to each processor's task by name, once the transaction commits."""
    for processor in attachment_processors():
        if processor.task:
            send_on_commit(processor.task, attachment_id)


def attachment_details(attachment: Attachment) -> dict[str, Any]:
    """What the processors made of ``attachment``: each adds its own keys (its key, by convention)."""
    details: dict[str, Any] = {}
    for processor in attachment_processors():
        if processor.details is not None:
            details.update(processor.details(attachment) or {})
    return details


def register_mail_threader(fn: Callable[..., MailThread | None]) -> None:
    """``fn(ticket=…, subject=…, to=…)`` threads every e-mail about a ticket; a later registration replaces it."""
    _mail_threader[:] = [fn]


def mail_thread(*, ticket: Ticket, subject: str, to: Sequence[str]) -> MailThread | None:
    """What the registered threader gives an e-mail about ``ticket``; None without one."""
    return _mail_threader[0](ticket=ticket, subject=subject, to=list(to)) if _mail_threader else None


def register_listener(event: str, fn: Callable[..., object]) -> None:
    """Call ``fn(**kwargs)`` on every ``emit(event, **kwargs)``; registering the same function again is a no-op."""
    if event not in _listeners:
        raise ValueError(f"Unknown ticket event {event!r} (one of {', '.join(EVENTS)}).")
    if fn not in _listeners[event]:
        _listeners[event].append(fn)


def unregister_listener(event: str, fn: Callable[..., object]) -> None:
    if fn in _listeners.get(event, []):
        _listeners[event].remove(fn)


def emit(event: str, **kwargs: Any) -> None:
    """Call every listener of ``event``, in the order they registered; an exception reaches the caller."""
    if event not in _listeners:
        raise ValueError(f"Unknown ticket event {event!r} (one of {', '.join(EVENTS)}).")
    for fn in list(_listeners[event]):
        fn(**kwargs)
