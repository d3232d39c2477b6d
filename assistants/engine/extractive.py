"""An answer without a model: the sentences of the retrieved chunks that answer the question.

Sentences are ranked by similarity to the question (embedding cosine plus the
question's words they contain, see ``assistants.engine.evidence``), not quoted as whole
chunks in order; markdown and broken lines are gone. It is the provider layer's fallback
(``helpdesk.ai``, name ``extractive``), registered by ``AssistantsConfig.ready()``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from assistants.engine.evidence import build
from assistants.engine.language import text_language
from assistants.replies import phrases
from helpdesk.ai import FALLBACK, Generation, GenerationRequest

NAME = FALLBACK
NO_CONTEXT = phrases("en").not_found


class ExtractiveProvider:
    name = NAME

    def __init__(self, max_sentences: int = 3) -> None:
        self.max_sentences = max_sentences

    def answer(self, request: GenerationRequest) -> str:
        question = request.question or (request.messages[-1].content if request.messages else "")
        # The request carries no assistant: the question's script says which language to answer "not found" in.
        language = text_language(question, "en")
        if not request.context:
            return phrases(language).not_found
        evidence = build(question=question, context=request.context, language=language)
        chosen = evidence.answer_sentences(self.max_sentences)
        if not chosen:
            return phrases(language).not_found
        return " ".join(f"{s.text} [{s.ref}]" for s in chosen)

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
