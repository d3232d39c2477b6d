"""Texts a worker stores for people to read later, shown in the reader's language.

A worker (a dataset run, a LoRA training, an integration sync, an indexing job) writes why it stopped into a
text column long before anyone reads it, and the readers do not share a language. So it stores the English
msgid, marked with ``gettext_noop`` so that ``makemessages`` collects it, and its parameters; the page
translates both when it shows them::

    run.error = stored_text(gettext_noop("Stopped: took longer than %(limit)s."), limit=Duration(3600))
    {{ run.error|shown }}   →  "Остановлено: работа шла дольше, чем 1 час."

The stored value starts with the English sentence (what the admin, a log line or an old reader shows), then
an invisible separator and the msgid with its parameters as JSON. Rows stored before this, plain text, are
shown as they are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.translation import gettext, ngettext
from rest_framework import serializers

SEPARATOR = "\x1e"  # ASCII record separator: never typed by people, invisible where the raw value shows


@dataclass(frozen=True)
class Duration:
    """A parameter shown as a duration in the reader's language ("1 h", "1 час")."""

    seconds: float


def duration_text(seconds: float) -> str:
    """A duration as people read it, in the active language: "45 s", "12 min", "3 h 20 min" (Russian: "45 секунд",
    "12 минут", "3 часа 20 минут")."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return ngettext("%(count)d s", "%(count)d s", seconds) % {"count": seconds}
    minutes = round(seconds / 60)
    if minutes < 60:
        return ngettext("%(count)d min", "%(count)d min", minutes) % {"count": minutes}
    hours, rest = divmod(minutes, 60)
    hours_text = ngettext("%(count)d h", "%(count)d h", hours) % {"count": hours}
    if not rest:
        return hours_text
    return gettext("%(hours)s %(minutes)s") % {
        "hours": hours_text,
        "minutes": ngettext("%(count)d min", "%(count)d min", rest) % {"count": rest},
    }


def _encode(value: Any) -> Any:
    if isinstance(value, Duration):
        return {"duration": value.seconds}
    if isinstance(value, (str, int, float)):
        return value
    raise TypeError(f"a stored text's parameter is a str, a number or a Duration, not {type(value).__name__}")


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"duration"}:
        return duration_text(float(value["duration"]))
    return value


def _render(msgid: str, params: dict[str, Any]) -> str:
    text = gettext(msgid)
    return text % {name: _decode(value) for name, value in params.items()} if params else text


def stored_text(msgid: str, **params: str | float | Duration) -> str:
    """The value to store for the message ``msgid`` (marked with ``gettext_noop``) with ``params``."""
    encoded = {name: _encode(value) for name, value in params.items()}
    with translation.override("en"):
        english = _render(msgid, encoded)
    return f"{english}{SEPARATOR}{json.dumps({'msgid': msgid, 'params': encoded}, ensure_ascii=False)}"


def shown_text(value: str | None) -> str:
    """A stored value in the active language; a plain text (a row stored before, or a remote system's own
    error) as it is."""
    if not value:
        return ""
    english, separator, data = value.partition(SEPARATOR)
    if not separator:
        return value
    try:
        message = json.loads(data)
        return _render(str(message["msgid"]), dict(message.get("params") or {}))
    except (ValueError, KeyError, TypeError):
        return english  # a truncated or edited value: its English part still reads


class ShownTextField(serializers.CharField):
    """An API field of a stored text, in the request's language (``Accept-Language``)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str:
        return shown_text(value)
