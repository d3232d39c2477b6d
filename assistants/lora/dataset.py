"""Training data of an adapter: pairs from the chosen sources, deduplicated, split, rendered as prompts.

Every example is rendered with the assistant's own prompt builder (policy, tone, rules, numbered
context, question), so that the adapter is trained on exactly what it sees when it answers. The
held-out split is decided by a hash of each pair's group (a chunk, a ticket, a row), so the same
data always splits the same way and questions of one chunk never sit on both sides.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from assistants.engine import build_messages
from assistants.lora.sources import NoData, Pair, registry
from assistants.models import Assistant
from helpdesk.ai import ContextChunk, Message
from knowledge.services import SearchError, search

HELD_OUT_FRACTION = 0.15
MIN_PAIRS = 4
MAX_PAIRS = 5000
RETRIEVED_CHUNKS = 1  # context retrieved for pairs that do not come with their own (tickets, uploads)
_NORMAL = re.compile(r"[\W_]+", re.UNICODE)


@dataclass(frozen=True)
class Example:
    messages: list[Message]
    answer: str
    question: str
    source: str
    group: str
    split: str  # "train" or "heldout"
    ref: str = ""
    context_titles: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "source": self.source,
            "split": self.split,
            "ref": self.ref,
            "messages": [{"role": m.role, "content": m.content} for m in self.messages],
        }


@dataclass
class Summary:
    per_source: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    train: int = 0
    heldout: int = 0
    rejected_rows: list[tuple[int, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "per_source": self.per_source,
            "duplicates": self.duplicates,
            "train": self.train,
            "heldout": self.heldout,
            "rejected_rows": [[n, why] for n, why in self.rejected_rows[:50]],
            "rejected_total": len(self.rejected_rows),
        }


def normalise(text: str) -> str:
    return _NORMAL.sub(" ", text.lower()).strip()


def collect(assistant: Assistant, sources: Sequence[dict[str, Any]], extra: Iterable[Pair] = ()) -> list[Pair]:
    """Pairs of the chosen sources (``[{"kind": "knowledge"}, {"kind": "upload", "path": …}]``) plus ``extra``."""
    known = registry()
    pairs: list[Pair] = list(extra)
    for spec in sources:
        source = known.get(str(spec.get("kind")))
        if source is None:
            raise ValueError(f"unknown data source {spec.get('kind')!r}; choose from {', '.join(known)}")
        for pair in source.pairs(assistant, spec):
            pairs.append(pair)
            if len(pairs) >= MAX_PAIRS * 2:
                break
    return pairs


def deduplicate(pairs: Iterable[Pair]) -> tuple[list[Pair], int]:
    """Drop repeated (question, answer) pairs; a question seen again joins the first one's group."""
    seen: set[str] = set()
    group_of_question: dict[str, str] = {}
    kept: list[Pair] = []
    duplicates = 0
    for pair in pairs:
        question = normalise(pair.question)
        key = question + "\n" + normalise(pair.answer)
        if not question or key in seen:
            duplicates += 1
            continue
        seen.add(key)
        group = group_of_question.setdefault(question, pair.group)
        kept.append(pair if group == pair.group else replace(pair, group=group))
    return kept[:MAX_PAIRS], duplicates


def _bucket(group: str) -> float:
    return int(hashlib.sha256(group.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def split(pairs: Sequence[Pair], fraction: float = HELD_OUT_FRACTION) -> dict[str, str]:
    """group → "train" / "heldout": a split the pair brings (``meta["split"]``, a dataset version's), else by
    hash, with at least one group on each side."""
    fixed = {p.group: p.meta["split"] for p in pairs if p.meta.get("split") in ("train", "heldout")}
    groups = sorted({p.group for p in pairs if p.group not in fixed}, key=_bucket)
    splits = {g: "heldout" if _bucket(g) < fraction else "train" for g in groups} | fixed
    if groups and "heldout" not in splits.values():
        splits[groups[0]] = "heldout"
    if groups and "train" not in splits.values():
        splits[groups[-1]] = "train"
    if set(splits.values()) != {"train", "heldout"}:
        raise NoData("Need pairs from at least two different tickets, articles or rows to hold some out.")
    return splits


def _retrieved(question: str, assistant: Assistant) -> list[ContextChunk]:
    try:
        hits = search(
            question,
            top_k=RETRIEVED_CHUNKS,
            mode="hybrid",
            tags=assistant.tag_filters,
            min_similarity=assistant.min_similarity,
        )
    except SearchError:
        return []
    return [ContextChunk(ref=i, text=h.text, title=h.document_title) for i, h in enumerate(hits, start=1)]


def render(pair: Pair, assistant: Assistant, split_name: str, *, retrieve: bool = True) -> Example:
    if pair.context:
        context = [ContextChunk(ref=i, title=t, text=x) for i, (t, x) in enumerate(pair.context, start=1)]
    else:
        context = _retrieved(pair.question, assistant) if retrieve else []
    messages = build_messages(
        policy=assistant.policy,
        tone=assistant.tone,
        language=assistant.language,
        request_type_prompt="",
        context=context,
        history=[],
        question=pair.question,
    )
    return Example(
        messages=messages,
        answer=pair.answer,
        question=pair.question,
        source=pair.source,
        group=pair.group,
        split=split_name,
        ref=pair.ref,
        context_titles=tuple(c.title for c in context),
    )


def build(
    assistant: Assistant,
    sources: Sequence[dict[str, Any]],
    *,
    extra: Iterable[Pair] = (),
    retrieve: bool = True,
    limit: int | None = None,
) -> tuple[list[Example], Summary]:
    """The rendered examples of the chosen sources and what happened on the way (raises ``NoData``)."""
    collected = collect(assistant, sources, extra)
    pairs, duplicates = deduplicate(collected)
    summary = Summary(per_source=dict(Counter(p.source for p in pairs)), duplicates=duplicates)
    if len(pairs) < MIN_PAIRS:
        raise NoData(
            f"Only {len(pairs)} usable pair(s) after removing {duplicates} duplicate(s); at least {MIN_PAIRS} are "
            "needed. Add knowledge articles, upload pairs, or pick more sources."
        )
    splits = split(pairs)
    chosen = pairs if limit is None else pairs[:limit]
    examples = [render(p, assistant, splits[p.group], retrieve=retrieve) for p in chosen]
    summary.train = sum(1 for e in examples if e.split == "train")
    summary.heldout = len(examples) - summary.train
    return examples, summary
