"""What every source of training pairs shares: the pair it yields, its shape, and the error of having no data."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from assistants.models import Assistant


class NoData(ValueError):
    """Too few usable pairs to train and hold some out."""


@dataclass(frozen=True)
class Pair:
    question: str
    answer: str
    source: str  # kind of the source that gave it
    group: str  # pairs of one group (a chunk, a ticket) land in the same split
    # Knowledge the answer is grounded in, shown as numbered context in the prompt: (title, text).
    context: tuple[tuple[str, str], ...] = ()
    ref: str = ""  # where it came from, for the preview (ticket #12, chunk 40, row 7)
    meta: dict[str, Any] = field(default_factory=dict, compare=False)


class Source(Protocol):
    kind: str
    label: str
    help: str

    def available(self, assistant: Assistant) -> int: ...

    def pairs(self, assistant: Assistant, options: dict[str, Any]) -> Iterator[Pair]: ...
