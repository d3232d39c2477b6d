"""Labelled examples that one app curates and another learns from, met on the ground floor.

Two kinds of provider, each registered from its app's ``AppConfig.ready()``:

- a **collection**: versions of labelled rows (text → label, or text → response), each version with its
  own train / held-out split. The datasets app registers its versions; LoRA training reads them.
- **records**: named lists of flat rows, such as ``"draft-pairs"`` (a customer's question, the AI draft
  and the reply the agent sent). The assistants app registers them; the datasets app exports them.

A reader never imports the providing app, so two apps of one floor do not depend on each other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, Protocol


@dataclass(frozen=True)
class Example:
    text: str
    label: str = ""
    response: str = ""


class Collection(Protocol):
    """Versions of labelled rows. A version id that no longer exists raises ``LookupError``."""

    def versions(self) -> list[tuple[int, str]]:
        """(id, description) of the tenant's versions, newest first."""
        ...

    def newest_size(self) -> int:
        """Rows of the newest version (train and held out), 0 without any."""
        ...

    def describe(self, version_id: int) -> str: ...

    def split_sizes(self, version_id: int) -> tuple[int, int]:
        """(train, held out) rows of the version."""
        ...

    def labels(self, version_id: int) -> list[str]: ...

    def examples(self, version_id: int, *, split: Literal["train", "eval"]) -> Iterable[Example]: ...


_collection: Collection | None = None
_records: dict[str, Callable[[], list[dict[str, Any]]]] = {}


def register_collection(collection: Collection) -> None:
    global _collection
    _collection = collection


def collection() -> Collection | None:
    """The registered collection, or None when no app provides one."""
    return _collection


def register_records(kind: str, provider: Callable[[], list[dict[str, Any]]]) -> None:
    _records[kind] = provider


def records(kind: str) -> list[dict[str, Any]]:
    """The rows of ``kind`` (``LookupError`` when no installed app provides them)."""
    provider = _records.get(kind)
    if provider is None:
        raise LookupError(f"No installed app provides {kind!r} records.")
    return provider()
