"""Held-out answers with and without an adapter: similarity to the reference, and grounding.

The answers go through the real answer path (retrieval, prompt, provider, citations), once with
the base model and once with the new adapter, so the figures are what customers would get.
Grounding counts, over held-out questions made from the knowledge base, how often the answer
cites the article the question came from, cites anything at all, or fell back to the extractive
answer (the model failed or repeated its prompt).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from assistants.engine import answer
from assistants.lora.dataset import Example
from assistants.models import Assistant
from helpdesk.ai import embed


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def _cosines(references: list[str], answers: list[str]) -> list[float]:
    if not references:
        return []
    vectors = embed(references + answers)
    vectors = vectors / np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9, None)
    n = len(references)
    return [float(vectors[i] @ vectors[n + i]) for i in range(n)]


def questions(examples: Sequence[Example], limit: int) -> list[Example]:
    """The held-out examples ``compare`` answers."""
    return [e for e in examples if e.split == "heldout"][:limit]


def compare(
    *,
    assistant: Assistant,
    examples: Sequence[Example],
    adapter_dir: str,
    provider: str,
    limit: int,
    on_answer: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Metrics of ``limit`` held-out examples answered by ``provider`` without and with the adapter.

    ``on_answer(done, total)`` is called after each answer (two per question: before and after).
    """
    chosen = questions(examples, limit)
    if not chosen:
        return {}
    speaker = copy.copy(assistant)
    speaker.provider = provider
    runs: dict[str, list[Any]] = {"before": [], "after": []}
    total = 2 * len(chosen)
    for example in chosen:
        for key, adapter in (("before", ""), ("after", adapter_dir)):
            runs[key].append(answer(assistant=speaker, question=example.question, adapter=adapter))
            if on_answer is not None:
                on_answer(len(runs["before"]) + len(runs["after"]), total)
    references = [e.answer for e in chosen]
    similarity = {key: _mean(_cosines(references, [a.text for a in results])) for key, results in runs.items()}
    grounded = [(e, i) for i, e in enumerate(chosen) if e.source == "knowledge" and e.context_titles]
    grounding: dict[str, dict[str, float | int | None]] = {}
    for key, results in runs.items():
        cites_source = [any(c.document == e.context_titles[0] for c in results[i].citations) for e, i in grounded]
        grounding[key] = {
            "questions": len(grounded),
            "cites_source": _mean([float(x) for x in cites_source]),
            "cites_anything": _mean([float(bool(results[i].citations)) for _, i in grounded]),
            "fallback": _mean([float(bool(results[i].fallback_from)) for _, i in grounded]),
        }
    samples = [
        {"question": e.question, "reference": e.answer, "before": b.text, "after": a.text}
        for e, b, a in zip(chosen, runs["before"], runs["after"], strict=True)
    ][:5]
    return {
        "engine": provider,
        "questions": len(chosen),
        "similarity": similarity,
        "grounding": grounding,
        "adapter_applied": sum(1 for a in runs["after"] if a.adapter),
        "samples": samples,
    }
