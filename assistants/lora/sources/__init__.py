"""Pluggable sources of training pairs: each turns the tenant's data into question → answer pairs.

A source is a module-level object with ``kind``, ``label``, ``available()`` (how many pairs it
would give now, for the picker) and ``pairs(assistant, options)``. Register new ones in SOURCES;
the form, the API and the training job list whatever is registered.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from assistants.models import Assistant


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


def registry() -> dict[str, Source]:
    from assistants.lora.sources import corrections, knowledge, solved, upload

    sources: list[Source] = [corrections.SOURCE, solved.SOURCE, knowledge.SOURCE, upload.SOURCE]
    try:
        from assistants.lora.sources.dataset import SOURCE as dataset_source
    except ImportError:  # the datasets app is not installed here
        pass
    else:
        sources.append(dataset_source)
    return {source.kind: source for source in sources}
