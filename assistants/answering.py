"""Grounded answers: retrieve → classify → prompt → generate → cite → decide on escalation.

``answer`` and ``answer_stream`` are what chats, the playground and tickets call.
Everything runs in the current tenant's schema.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace

from django.conf import settings

from assistants.classification import Classification, classify
from assistants.escalation import decide
from assistants.llm import (
    ContextChunk,
    Generation,
    GenerationParams,
    GenerationRequest,
    Message,
    generate_with_fallback,
    get_provider,
    stream_with_fallback,
)
from assistants.llm.extractive import NO_CONTEXT, content_terms
from assistants.models import Assistant
from assistants.prompting import Turn, build_messages, cited_refs, strip_invalid_citations
from knowledge.services import SearchError, SearchHit, search

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
# A sentence is attributed to a chunk when they share at least this many content words.
MIN_SHARED_TERMS = 3
URGENT = re.compile(r"\b(urgent|asap|immediately|outage|is down|security|hacked|breach)\b", re.IGNORECASE)
SNIPPET_CHARS = 240


@dataclass(frozen=True)
class Citation:
    ref: int
    chunk_id: int
    document_id: int
    document: str
    snippet: str


@dataclass(frozen=True)
class Answer:
    text: str
    citations: list[Citation]
    request_type: str
    confidence: float
    priority: str
    tags: list[str]
    escalate: bool
    reasons: list[str]
    provider: str
    latency_ms: float
    retrieval_ms: float
    fallback_from: str | None = None
    error: str | None = None
    first_token_ms: float | None = None
    citations_attributed: bool = False  # the model cited nothing; citations come from word overlap
    adapter: str = ""  # label of the LoRA adapter that answered (e.g. "v3"); "" for the base model
    messages: list[Message] = field(default_factory=list)
    hits: list[SearchHit] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """The public shape (API, stored drafts): no prompt, no raw hits."""
        return {
            "text": self.text,
            "citations": [asdict(c) for c in self.citations],
            "request_type": self.request_type,
            "confidence": round(self.confidence, 3),
            "priority": self.priority,
            "tags": self.tags,
            "escalate": self.escalate,
            "reasons": self.reasons,
            "provider": self.provider,
            "fallback_from": self.fallback_from,
            "error": self.error,
            "latency_ms": round(self.latency_ms, 1),
            "citations_attributed": self.citations_attributed,
            "adapter": self.adapter,
        }


@dataclass(frozen=True)
class Prepared:
    assistant: Assistant
    question: str
    hits: list[SearchHit]
    classification: Classification
    request: GenerationRequest
    retrieval_ms: float
    started: float
    adapter_label: str = ""


def _examples(assistant: Assistant) -> dict[str, list[str]]:
    return {t.name: t.example_lines for t in assistant.request_types.all()}


def _ask_llm(assistant: Assistant):  # type: ignore[no-untyped-def]
    if assistant.provider == "extractive":
        return None

    def ask(text: str, labels: list[str]) -> str | None:
        prompt = f"Which kind of request is this: {', '.join(labels)}? Answer with one word.\n\nRequest: {text}"
        request = GenerationRequest(
            messages=[Message("user", prompt)], params=GenerationParams(max_new_tokens=4, timeout_seconds=10)
        )
        generation = generate_with_fallback(request, assistant.provider or None)
        if generation.fallback_from:
            return None
        words = re.findall(r"[a-z_-]+", generation.text.lower())
        return words[0] if words else None

    return ask


def _adapter(assistant: Assistant, adapter: str | None) -> tuple[str, str]:
    """(path, label) of the adapter to answer with: the active one (None), none (""), or the given path."""
    if adapter is None:
        from assistants.lora.selectors import serving_adapter

        return serving_adapter(assistant)
    return adapter, "candidate" if adapter else ""


def prepare(
    *,
    assistant: Assistant,
    question: str,
    history: Sequence[Turn] = (),
    public_only: bool = False,
    adapter: str | None = None,
) -> Prepared:
    """Retrieve, classify and build the prompt; ``public_only`` (answers to the public) reads public documents only.

    ``adapter``: None answers with the assistant's active LoRA adapter, "" with the base model.
    """
    started = time.perf_counter()
    try:
        hits = search(
            question,
            top_k=assistant.top_k,
            mode="hybrid",
            tags=assistant.tag_filters,
            language=None,
            min_similarity=assistant.min_similarity,
            visibility="public" if public_only else None,
        )
    except SearchError:
        hits = []
    retrieval_ms = (time.perf_counter() - started) * 1000
    classification = classify(
        question, _examples(assistant), ask_llm=_ask_llm(assistant), version_id=assistant.classifier_version_id
    )
    type_prompt = next((t.prompt for t in assistant.request_types.all() if t.name == classification.label), "")
    context = [ContextChunk(ref=i, text=hit.text, title=hit.document_title) for i, hit in enumerate(hits, start=1)]
    adapter_path, adapter_label = _adapter(assistant, adapter)
    messages = build_messages(
        policy=assistant.policy,
        tone=assistant.tone,
        language=assistant.language,
        request_type_prompt=type_prompt,
        context=context,
        history=list(history)[-assistant.history_turns :] if assistant.history_turns else [],
        question=question,
    )
    request = GenerationRequest(
        messages=messages,
        context=context,
        question=question,
        params=GenerationParams(
            max_new_tokens=assistant.max_new_tokens,
            temperature=assistant.temperature,
            timeout_seconds=settings.LLM_TIMEOUT_SECONDS,
        ),
        model=assistant.model_name,
        adapter=adapter_path,
    )
    return Prepared(assistant, question, hits, classification, request, retrieval_ms, started, adapter_label)


def _priority(question: str, request_type: str, escalate: bool) -> str:
    if URGENT.search(question):
        return "urgent"
    if request_type == "complaint" or escalate:
        return "high"
    return "normal"


def attribute_citations(text: str, context: Sequence[ContextChunk]) -> str:
    """Add [n] after each sentence that shares enough content words with chunk n (small models rarely cite)."""
    chunk_terms = [(chunk.ref, content_terms(chunk.text)) for chunk in context]
    sentences = [s for s in _SENTENCE_END.split(text.strip()) if s]
    out = []
    for sentence in sentences:
        words = content_terms(sentence)
        best_ref, best_shared = 0, 0
        for ref, terms in chunk_terms:
            shared = len(words & terms)
            if shared > best_shared:
                best_ref, best_shared = ref, shared
        out.append(f"{sentence} [{best_ref}]" if best_shared >= MIN_SHARED_TERMS else sentence)
    return " ".join(out)


_PROMPT_MARKERS = ("<context>", "</context>", "<question>", "<conversation>", "Rules: answer only")


def echoes_prompt(text: str, messages: Sequence[Message]) -> bool:
    """Whether a (small) model repeated its instructions or the prompt's markup instead of answering."""
    if any(marker in text for marker in _PROMPT_MARKERS):
        return True
    system_words = messages[0].content.split() if messages else []
    windows = {" ".join(system_words[i : i + 8]) for i in range(max(len(system_words) - 7, 0))}
    normalised = " ".join(text.split())
    return any(window in normalised for window in windows)


def _guard_echo(prepared: Prepared, generation: Generation) -> Generation:
    if generation.provider == "extractive" or not echoes_prompt(generation.text, prepared.request.messages):
        return generation
    extractive = get_provider("extractive").generate(prepared.request)
    return replace(
        extractive,
        latency_ms=generation.latency_ms,
        first_token_ms=generation.first_token_ms,
        fallback_from=generation.provider,
        error="the model repeated its instructions instead of answering",
    )


def finish(prepared: Prepared, generation: Generation) -> Answer:
    generation = _guard_echo(prepared, generation)
    assistant, hits = prepared.assistant, prepared.hits
    refs = list(range(1, len(hits) + 1))
    text = strip_invalid_citations(generation.text, refs)
    cited = cited_refs(text, refs)
    attributed = False
    if not cited and hits and text != NO_CONTEXT:
        text = attribute_citations(text, prepared.request.context)
        cited = cited_refs(text, refs)
        attributed = bool(cited)
    citations = [
        Citation(
            ref=ref,
            chunk_id=hits[ref - 1].chunk_id,
            document_id=hits[ref - 1].document_id,
            document=hits[ref - 1].document_title,
            snippet=hits[ref - 1].text[:SNIPPET_CHARS],
        )
        for ref in cited
    ]
    similarities = [h.similarity for h in hits if h.similarity is not None]
    label = prepared.classification.label
    decision = decide(
        text=prepared.question,
        keywords=assistant.escalation_keywords,
        best_similarity=max(similarities) if similarities else None,
        min_similarity=assistant.escalate_below_similarity,
        request_type=label,
        always_escalate_types=assistant.always_escalate_types,
        classifier_confidence=prepared.classification.confidence,
        cited=bool(cited),
    )
    tags = [label]
    for hit in hits:
        tags += [t for t in hit.tags if t not in tags]
    return Answer(
        text=text,
        citations=citations,
        request_type=label,
        confidence=prepared.classification.confidence,
        priority=_priority(prepared.question, label, decision.escalate),
        tags=tags[:5],
        escalate=decision.escalate,
        reasons=decision.reasons,
        provider=generation.provider,
        latency_ms=(time.perf_counter() - prepared.started) * 1000,
        retrieval_ms=prepared.retrieval_ms,
        fallback_from=generation.fallback_from,
        error=generation.error,
        first_token_ms=generation.first_token_ms,
        citations_attributed=attributed,
        adapter=prepared.adapter_label if generation.adapter else "",
        messages=prepared.request.messages,
        hits=hits,
    )


def answer(
    *,
    assistant: Assistant,
    question: str,
    history: Sequence[Turn] = (),
    public_only: bool = False,
    adapter: str | None = None,
) -> Answer:
    """A grounded answer to ``question`` by ``assistant`` (falls back to an extractive one, saying so).

    ``adapter``: None answers with the assistant's active LoRA adapter, "" with the base model.
    """
    prepared = prepare(
        assistant=assistant, question=question, history=history, public_only=public_only, adapter=adapter
    )
    return finish(prepared, generate_with_fallback(prepared.request, assistant.provider or None))


def answer_stream(
    *,
    assistant: Assistant,
    question: str,
    history: Sequence[Turn] = (),
    public_only: bool = False,
    adapter: str | None = None,
) -> Iterator[str | Answer]:
    """Text pieces as they are generated, then the ``Answer`` (``adapter`` as in ``answer``)."""
    prepared = prepare(
        assistant=assistant, question=question, history=history, public_only=public_only, adapter=adapter
    )
    for event in stream_with_fallback(prepared.request, assistant.provider or None):
        if isinstance(event, Generation):
            yield finish(prepared, event)
        else:
            yield event
