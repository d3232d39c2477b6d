"""An answer without a model: the sentences of the retrieved chunks that best match the question."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

from assistants.llm.base import Generation, GenerationRequest

NAME = "extractive"
NO_CONTEXT = "I could not find this in the knowledge base."
_WORD = re.compile(r"\w+", re.UNICODE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
# Words that match everywhere and say nothing about relevance.
_STOP = set(
    [
        "a",
        "an",
        "and",
        "are",
        "can",
        "do",
        "does",
        "for",
        "from",
        "how",
        "i",
        "if",
        "in",
        "is",
        "it",
        "my",
        "of",
        "on",
        "or",
        "the",
        "to",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "with",
        "you",
        "your",
        "be",
        "this",
        "that",
    ]
)


def content_terms(text: str) -> set[str]:
    return {w for w in (m.lower() for m in _WORD.findall(text)) if w not in _STOP and len(w) > 1}


class ExtractiveProvider:
    name = NAME

    def __init__(self, max_sentences: int = 3) -> None:
        self.max_sentences = max_sentences

    def answer(self, request: GenerationRequest) -> str:
        if not request.context:
            return NO_CONTEXT
        question = content_terms(request.question or (request.messages[-1].content if request.messages else ""))
        scored: list[tuple[float, int, int, str, int]] = []
        for rank, chunk in enumerate(request.context):
            for position, sentence in enumerate(s.strip() for s in _SENTENCE.split(chunk.text) if s.strip()):
                overlap = len(question & content_terms(sentence))
                # Earlier chunks ranked higher in retrieval: a small bonus keeps their order on ties.
                scored.append((overlap - rank * 0.01, rank, position, sentence, chunk.ref))
        best = sorted(scored, key=lambda item: item[0], reverse=True)[: self.max_sentences]
        if not best or best[0][0] <= 0:
            best = [item for item in scored if item[1] == 0][: self.max_sentences]  # the top chunk, from its start
        best.sort(key=lambda item: (item[1], item[2]))
        return " ".join(f"{sentence} [{ref}]" for _, _, _, sentence, ref in best)

    def generate(self, request: GenerationRequest) -> Generation:
        started = time.perf_counter()
        text = self.answer(request)
        latency_ms = (time.perf_counter() - started) * 1000
        return Generation(text=text, provider=NAME, model="", tokens=len(text.split()), latency_ms=latency_ms)

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        for index, word in enumerate(self.answer(request).split(" ")):
            yield word if index == 0 else f" {word}"

    def check(self) -> tuple[bool, str | None]:
        return True, None
