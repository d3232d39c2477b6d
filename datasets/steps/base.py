"""The contract every pipeline step follows, and what a step gets to work with.

A step is a small class with a ``name``, a ``title`` for the run page, ``able_to_run``
(a step the options switch off is shown as skipped) and ``run``, which does its work on
the run's rows and returns the counts shown on the run page. Progress goes through
``context.progress(done, total)``; the runner stores it for the page to poll.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import numpy as np

from datasets.models import Run
from helpdesk.db import bulk_update_rows

Counts = dict[str, Any]


class StepFailed(Exception):
    """A step cannot go on; the message is shown to the user as the run's error."""


@dataclass(frozen=True)
class Mapping:
    """Which columns of the file hold what; the other chosen columns are kept per row as metadata."""

    text: str
    label: str = ""
    domain: str = ""
    id: str = ""
    response: str = ""
    meta: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Mapping:
        return cls(
            text=str(data.get("text") or ""),
            label=str(data.get("label") or ""),
            domain=str(data.get("domain") or ""),
            id=str(data.get("id") or ""),
            response=str(data.get("response") or ""),
            meta=tuple(str(c) for c in data.get("meta") or ()),
        )

    def as_dict(self) -> dict[str, Any]:
        return {"text": self.text, "label": self.label, "domain": self.domain, "id": self.id,
                "response": self.response, "meta": list(self.meta)}  # fmt: skip

    @property
    def roles(self) -> dict[str, str]:
        return {k: v for k, v in (("text", self.text), ("label", self.label), ("domain", self.domain),
                                  ("id", self.id), ("response", self.response)) if v}  # fmt: skip


@dataclass(frozen=True)
class RunOptions:
    augment: bool = False
    balance_labels: bool = False
    balance_domains: bool = False
    create_version: bool = True
    tag: str = ""
    message: str = ""
    # The label set for rows without one when the file has no labels yet (zero-shot start).
    labels: tuple[str, ...] = ()
    use_llm: bool = True
    # The calibrated labeler labels without the LLM; asking it about unsure rows is a choice.
    label_with_llm: bool = False

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunOptions:
        return cls(
            augment=bool(data.get("augment", False)),
            balance_labels=bool(data.get("balance_labels", False)),
            balance_domains=bool(data.get("balance_domains", False)),
            create_version=bool(data.get("create_version", True)),
            tag=str(data.get("tag") or ""),
            message=str(data.get("message") or ""),
            labels=tuple(str(label) for label in data.get("labels") or ()),
            use_llm=bool(data.get("use_llm", True)),
            label_with_llm=bool(data.get("label_with_llm", False)),
        )

    def as_dict(self) -> dict[str, Any]:
        return {"augment": self.augment, "balance_labels": self.balance_labels,
                "balance_domains": self.balance_domains, "create_version": self.create_version,
                "tag": self.tag, "message": self.message, "labels": list(self.labels),
                "use_llm": self.use_llm, "label_with_llm": self.label_with_llm}  # fmt: skip


Embed = Callable[[Sequence[str]], np.ndarray]
Progress = Callable[[int, int], None]


@dataclass
class StepContext:
    run: Run
    mapping: Mapping
    options: RunOptions
    embed: Embed
    # The embedding model of the whole run (the tenant's when it started): every vector it stores is of it.
    embedding_model: str = ""
    progress: Progress = field(default=lambda done, total: None)
    # Shared between steps of one pass (the labeler's model is reused to relabel synthetic rows).
    cache: dict[str, Any] = field(default_factory=dict)


class Step(Protocol):
    name: ClassVar[str]
    title: ClassVar[str]

    def able_to_run(self, context: StepContext) -> bool: ...

    def run(self, context: StepContext) -> Counts: ...


class Throttled:
    """Calls ``report`` at most every ``interval`` seconds (and always for the last item)."""

    def __init__(self, report: Progress, interval: float = 0.5) -> None:
        self.report = report
        self.interval = interval
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done >= total or now - self.last >= self.interval:
            self.last = now
            self.report(done, total)


EMBED_BATCH = 256


def embed_in_batches(context: StepContext, texts: Sequence[str], *, start: int = 0, total: int = 0) -> np.ndarray:
    """Embeddings of ``texts``, reporting progress after each batch (the slow part of most steps)."""
    total = total or len(texts)
    parts = []
    for offset in range(0, len(texts), EMBED_BATCH):
        parts.append(context.embed(texts[offset : offset + EMBED_BATCH]))
        context.progress(start + min(offset + EMBED_BATCH, len(texts)), total)
    if not parts:
        return np.zeros((0, 0), dtype=np.float32)
    return np.vstack(parts).astype(np.float32)


def save_rows(rows: Sequence[Any], fields: Sequence[str]) -> None:
    bulk_update_rows(rows, fields)
