"""Request classification: nearest labelled examples by embedding, the LLM only when unsure."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from helpdesk import ai
from helpdesk.ai import classifiers

Embed = Callable[[Sequence[str]], np.ndarray]
NEIGHBOURS = 3
# Cosine gaps between labels are small with MiniLM; this temperature turns them into usable confidences.
TEMPERATURE = 0.05
UNSURE_BELOW = 0.55
# Below this confidence a type is only a guess: the panel shows it as uncertain and it forces nothing
# (no escalation, no priority). Measured on assistants/tests/fixtures/labelled_requests.csv (bench/answer.py).
CERTAIN_AT = 0.6
# The kind of classifier asked in helpdesk.ai.classifiers when an assistant names a trained one.
REQUEST_TYPE = "request_type"


@dataclass(frozen=True)
class Classification:
    label: str
    confidence: float
    method: str  # "examples", "llm" or "default"
    scores: dict[str, float]

    @property
    def certain(self) -> bool:
        return self.method != "default" and self.confidence >= CERTAIN_AT


_cache: dict[str, np.ndarray] = {}
_cache_lock = threading.Lock()


def _example_vectors(examples: dict[str, list[str]], embed: Embed) -> dict[str, np.ndarray]:
    """Embeddings of each label's examples, cached per process by their content and the embedder."""
    ordered = sorted(examples.items())  # one order for the cache key, the stacked rows and their labels
    # The tenant's model key too: one embed function serves tenants of different models.
    key = f"{id(embed)}:{ai.active_model_key()}:" + hashlib.sha256(repr(ordered).encode()).hexdigest()
    with _cache_lock:
        stacked = _cache.get(key)
    if stacked is None:
        stacked = _normalise(embed([line for _, lines in ordered for line in lines]))
        with _cache_lock:
            _cache[key] = stacked
    out: dict[str, np.ndarray] = {}
    start = 0
    for label, lines in ordered:
        out[label] = stacked[start : start + len(lines)]
        start += len(lines)
    return out


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def classify(
    text: str,
    examples: dict[str, list[str]],
    *,
    embed: Embed | None = None,
    ask_llm: Callable[[str, list[str]], str | None] | None = None,
    default: str = "support",
    version_id: int | None = None,
) -> Classification:
    """The label whose examples are nearest to ``text``; ``ask_llm(text, labels)`` decides when unsure.

    With ``version_id`` (a manager's choice on the assistant), the ``"request_type"`` classifier registered in
    ``helpdesk.ai.classifiers`` (the datasets app's, trained from that version) answers instead, as long as
    it is trained.
    """
    if version_id is not None and text.strip():
        found = classifiers.classify(REQUEST_TYPE, text, version_id=version_id)
        if found is not None:
            return Classification(label=found.label, confidence=found.confidence, method="dataset", scores=found.scores)
    examples = {label: lines for label, lines in examples.items() if lines}
    if not examples or not text.strip():
        return Classification(label=default, confidence=0.0, method="default", scores={})
    embed = embed or ai.embed
    query = _normalise(embed([text]))[0]
    scores: dict[str, float] = {}
    for label, vectors in _example_vectors(examples, embed).items():
        similarities = np.sort(vectors @ query)[::-1][:NEIGHBOURS]
        scores[label] = float(similarities.mean())
    labels = list(scores)
    logits = np.array([scores[label] for label in labels]) / TEMPERATURE
    probabilities = np.exp(logits - logits.max())
    probabilities /= probabilities.sum()
    best = int(probabilities.argmax())
    label, confidence = labels[best], float(probabilities[best])
    if confidence < UNSURE_BELOW and ask_llm is not None:
        answer = ask_llm(text, labels)
        if answer in labels:
            return Classification(label=answer, confidence=max(confidence, UNSURE_BELOW), method="llm", scores=scores)
    return Classification(label=label, confidence=confidence, method="examples", scores=scores)
