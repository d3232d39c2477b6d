"""An answer as server-sent events: `token` {"text"} for each piece as it is written, then one `done`.

Every surface that streams an answer (widget, chat API, ticket panel, playground) goes through
``answer_events``, and each one says who reads the stream: ``public=True`` for a website visitor,
who gets the verified sentences only and none of the verifier's notes; ``public=False`` for staff.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from typing import Protocol, TypeVar, cast

from helpdesk.sse import sse_event

T = TypeVar("T")


class Shaped(Protocol):
    """A final result that knows its API shape, in full or for the public."""

    def as_dict(self, *, public: bool = ...) -> dict[str, object]: ...


def answer_events(
    events: Iterable[str | T],
    *,
    public: bool,
    done: Callable[[T], dict[str, object]] | None = None,
) -> Iterator[str]:
    """``events`` (text pieces, then the final result) as SSE: a `token` per piece, `done` for the result.

    The `done` payload is ``done(result)``, or by default ``result.as_dict(public=public)``. A custom
    ``done`` is for staff pages only: for the public, nothing else vouches for what it would send.
    """
    if public and done is not None:
        raise ValueError("a public stream sends the result's public shape; it takes no custom done payload")
    for event in events:
        if isinstance(event, str):
            yield sse_event("token", {"text": event})
        elif done is not None:
            yield sse_event("done", done(event))
        else:
            yield sse_event("done", cast(Shaped, event).as_dict(public=public))


def failure_event(detail: str) -> str:
    """The event a stream ends with when it cannot answer (an expired link, a bad question)."""
    return sse_event("failure", {"detail": detail})


def started(events: Iterator[T]) -> Iterator[T]:
    """``events`` with its first item already taken, so errors in it surface before the response starts."""
    first = next(events)
    return chain([first], events)
