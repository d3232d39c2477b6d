"""The integration systems (trackers) the core iterates over: one ``SystemSpec`` per system.

Each system registers its spec from its own AppConfig.ready() (``integrations.jira``,
``integrations.zendesk``). The core reads the specs here and never names a system: the
connection's choices, the outbox's transport, per-system validation and default priority
names, the URL mounts, the settings page's form and the ``integration_set`` command's options.
Adding a tracker is one package with a spec and one line in the app list.

Nothing here imports models (``integrations.models`` takes its choices from here).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.functional import Promise

if TYPE_CHECKING:
    from integrations.base import Transport
    from integrations.forms import ConnectionForm
    from integrations.models import Connection
    from integrations.services.backsync import InboundEvent


@dataclass(frozen=True)
class CliOption:
    """A system-only option of ``manage.py integration_set <system>``, setting one field of the connection."""

    flag: str
    field: str
    help: str
    type: Callable[[str], Any] = str


def _no_errors(connection: Connection) -> dict[str, str]:
    return {}


@dataclass(frozen=True)
class SystemSpec:
    """What the core needs to know about one tracker."""

    key: str  # stored in Connection.system and ExternalRef.system (at most 10 characters)
    label: str
    transport: Callable[[Connection], Transport]
    form: type[ConnectionForm]
    urls: str  # dotted module of the system's URL patterns, mounted at "<key>/"
    # Our priority -> the tracker's priority name, for a new connection.
    priority_map: Mapping[str, str]
    # The body of a signed webhook call -> the status or comment it carries (None: an event we do not use).
    inbound: Callable[[bytes], InboundEvent | None]
    # Errors of a connection about to be saved that only this system has, by field.
    validate: Callable[[Connection], dict[str, str]] = _no_errors
    # where on the tracker's side the webhook is set up, and with which events (a lazily translated text)
    webhook_help: str | Promise = ""
    cli_options: tuple[CliOption, ...] = field(default=())


_SYSTEMS: dict[str, SystemSpec] = {}


def register_system(spec: SystemSpec) -> None:
    """Make ``spec`` known; registering the same key again replaces it (AppConfig.ready() may run twice in tests)."""
    _SYSTEMS[spec.key] = spec


def systems() -> list[SystemSpec]:
    """The registered systems, in the order of the app list."""
    return list(_SYSTEMS.values())


def system(key: str) -> SystemSpec:
    """The spec of ``key``; KeyError when no app registered it."""
    return _SYSTEMS[key]


def system_choices() -> list[tuple[str, str]]:
    """(key, label) of every system: the choices of ``Connection.system`` and of the forms."""
    return [(spec.key, spec.label) for spec in _SYSTEMS.values()]


def system_label(key: str) -> str:
    spec = _SYSTEMS.get(key)
    return spec.label if spec is not None else key


def transport_for(connection: Connection) -> Transport:
    """The client that talks to ``connection``'s tracker."""
    return system(connection.system).transport(connection)
