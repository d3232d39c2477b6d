"""Grounded answers: retrieve → classify → ask the model a small job → verify every sentence → decide on escalation.

``answer`` and ``answer_stream`` are what chats, the playground and tickets call.
``answer_stream`` yields only sentences that passed verification (raw model output,
prompt fragments and markup never leave this module), then the ``Answer``.
When retrieval is weak, or verification leaves nothing that answers the question,
the assistant says it does not know, in its language, and escalates.
Everything runs in the current tenant's schema.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from assistants.engine import strategies
from assistants.engine.classification import Classification, classify
from assistants.engine.escalation import decide
from assistants.engine.evidence import ANSWER_MARGIN, Evidence, Sentence, build
from assistants.engine.language import text_language
from assistants.engine.prompting import Turn
from assistants.engine.registry import adapter_for
from assistants.engine.verification import Checked, StreamingVerifier, Verifier
from assistants.replies import decline_text
from helpdesk.ai import (
    ContextChunk,
    Generation,
    GenerationParams,
    GenerationRequest,
    Message,
    chat_models,
    generate,
    stream,
)
from knowledge.services import SearchError, SearchHit, search

if TYPE_CHECKING:
    # Named for type checking only: assistants.models imports this package's strategy choices.
    from assistants.models import Assistant

URGENT = re.compile(
    r"\b(urgent|asap|immediately|outage|is down|security|hacked|breach|"
    r"срочн\w*|немедленно|как можно скорее|не работает|взлом\w*|украли|утечк\w*)\b",
    re.IGNORECASE,
)
SNIPPET_CHARS = 240
EXTRACTIVE_SENTENCES = 3
# Sentences are ranked far more precisely than whole chunks (a chunk about service prices also holds the workshop's
# hours), so the sentence strategies read twice the assistant's top_k chunks; compose_chunks prompts with top_k.
CANDIDATE_CHUNKS = 8
ANY_WORD_CHUNKS = 4  # chunks holding some of the question's words, added for a question not in English


@dataclass(frozen=True)
class Citation:
    ref: int
    chunk_id: int
    document_id: int
    document: str
    snippet: str


@dataclass(frozen=True)
class Answer:
    text: str  # the verified sentences: all a customer may see
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
    sentences: list[Checked] = field(default_factory=list)  # every sentence, verified or not
    declined: bool = False
    strategy: str = strategies.EXTRACTIVE
    request_type_certain: bool = True
    model_text: str = ""  # the model's raw output, for the playground's inspector and the benchmark
    adapter: str = ""  # label of the LoRA adapter that answered (e.g. "v3"); "" for the base model
    model: str = ""  # the model that wrote the draft (e.g. qwen2.5-coder-1.5b-instruct-q4_k_m); "" without one
    messages: list[Message] = field(default_factory=list)
    hits: list[SearchHit] = field(default_factory=list)

    @property
    def verified(self) -> list[Checked]:
        return [s for s in self.sentences if s.verified]

    @property
    def unverified(self) -> list[Checked]:
        return [s for s in self.sentences if not s.verified]

    def as_dict(self, *, public: bool = False) -> dict[str, object]:
        """The stored and API shape (no prompt, no raw hits); ``public`` leaves out what failed verification."""
        cited = {c.ref: c for c in self.citations}
        sentences = []
        for s in self.verified if public else self.sentences:
            citation = cited.get(s.ref) if s.verified and s.ref else None
            sentences.append(
                s.as_dict()
                | {
                    "chunk_id": citation.chunk_id if citation else None,
                    "document_id": citation.document_id if citation else None,
                    "document": citation.document if citation else "",
                }
            )
        if public:
            sentences = [{k: v for k, v in s.items() if k not in ("original", "reason")} for s in sentences]
        return {
            "text": self.text,
            "sentences": sentences,
            "citations": [c.__dict__ for c in self.citations],
            "request_type": self.request_type,
            "request_type_certain": self.request_type_certain,
            "confidence": round(self.confidence, 3),
            "priority": self.priority,
            "tags": self.tags,
            "escalate": self.escalate,
            "reasons": self.reasons,
            "declined": self.declined,
            "provider": self.provider,
            "strategy": self.strategy,
            "fallback_from": self.fallback_from,
            "error": self.error,
            "latency_ms": round(self.latency_ms, 1),
            "adapter": self.adapter,
            "model": self.model,
        }


@dataclass(frozen=True)
class Prepared:
    assistant: Assistant
    question: str
    hits: list[SearchHit]
    classification: Classification
    evidence: Evidence
    context: list[ContextChunk]
    provider: str
    strategy: str
    request: GenerationRequest | None  # None: no model is asked (extractive, or declined up front)
    facts: list[Sentence]  # the numbered sentences of the prompt (select and compose)
    decline_reason: str
    retrieval_ms: float
    started: float
    adapter_label: str = ""


def _examples(assistant: Assistant) -> dict[str, list[str]]:
    return {t.name: t.example_lines for t in assistant.request_types.all()}


def _ask_llm(provider: str, model: str):  # type: ignore[no-untyped-def]
    if provider == "extractive" or not settings.ASSISTANTS_CLASSIFY_WITH_LLM:
        return None

    def ask(text: str, labels: list[str]) -> str | None:
        prompt = f"Which kind of request is this: {', '.join(labels)}? Answer with one word.\n\nRequest: {text}"
        request = GenerationRequest(
            messages=[Message("user", prompt)],
            params=GenerationParams(max_new_tokens=4, timeout_seconds=10),
            model=model,
        )
        generation = generate(request, provider)
        if generation.fallback_from:
            return None
        words = re.findall(r"[a-z_-]+", generation.text.lower())
        return words[0] if words else None

    return ask


def _adapter(assistant: Assistant, adapter: str | None) -> tuple[str, str]:
    """(path, label) of the adapter to answer with: the active one (None), none (""), or the given path."""
    if adapter is None:
        return adapter_for(assistant)
    return adapter, "candidate" if adapter else ""


def strategy_for(assistant: Assistant, provider: str) -> str:
    if provider == "extractive":
        return strategies.EXTRACTIVE
    if assistant.strategy:
        return assistant.strategy
    if settings.ASSISTANTS_ANSWER_STRATEGY != "auto":
        return settings.ASSISTANTS_ANSWER_STRATEGY
    return chat_models.default_strategy(provider=provider, model=assistant.chat_model)


def prepare(
    *,
    assistant: Assistant,
    question: str,
    history: Sequence[Turn] = (),
    strategy: str | None = None,
    public_only: bool = False,
    adapter: str | None = None,
) -> Prepared:
    """Retrieve, classify and plan the model's job; ``public_only`` (answers to the public) reads public documents.

    ``adapter``: None answers with the assistant's active LoRA adapter, "" with the base model.
    """
    started = time.perf_counter()
    try:
        hits = search(
            question,
            top_k=max(assistant.top_k * 2, CANDIDATE_CHUNKS),
            mode="hybrid",
            tags=assistant.tag_filters,
            language=None,
            min_similarity=assistant.min_similarity,
            visibility="public" if public_only else None,
        )
    except SearchError:
        hits = []
    if text_language(question, assistant.language or "en") != "en":
        hits += _any_word_hits(question, hits, assistant=assistant, public_only=public_only)
    retrieval_ms = (time.perf_counter() - started) * 1000
    provider = assistant.provider or settings.LLM_PROVIDER
    classification = classify(
        question,
        _examples(assistant),
        ask_llm=_ask_llm(provider, assistant.chat_model),
        version_id=assistant.classifier_version_id,
    )
    context = [
        ContextChunk(ref=i, text=hit.text, title=hit.document_title, heading=hit.heading)
        for i, hit in enumerate(hits, start=1)
    ]
    evidence = build(question=question, context=context, language=assistant.language or "en")
    similarities = [h.similarity for h in hits if h.similarity is not None]
    best = max(similarities) if similarities else None
    # A weak chunk match escalates (``decide``) but only declines when no single sentence answers either: a short
    # sentence can answer well inside a chunk that is, as a whole, about something else.
    if best is None:
        decline_reason = "no knowledge matches the question"
    elif not evidence.answer_sentences(1):
        decline_reason = "no sentence of the knowledge base answers the question"
    else:
        decline_reason = ""
    chosen = strategy or strategy_for(assistant, provider)
    request = None
    facts: list[Sentence] = []
    adapter_path, adapter_label = _adapter(assistant, adapter)
    if not decline_reason and chosen != strategies.EXTRACTIVE:
        type_prompt = next((t.prompt for t in assistant.request_types.all() if t.name == classification.label), "")
        plan = strategies.plan(
            chosen,
            evidence=evidence,
            policy=assistant.policy,
            tone=assistant.tone,
            language=assistant.language,
            request_type_prompt=type_prompt if classification.certain else "",
            history=list(history)[-assistant.history_turns :] if assistant.history_turns else [],
            question=question,
            context=context,
            max_new_tokens=assistant.max_new_tokens,
            top_k=assistant.top_k,
        )
        facts = plan.facts
        request = GenerationRequest(
            messages=plan.messages,
            context=context,
            question=question,
            params=GenerationParams(
                max_new_tokens=plan.max_new_tokens,
                temperature=0.0 if chosen == strategies.SELECT else assistant.temperature,
                timeout_seconds=settings.LLM_TIMEOUT_SECONDS,
            ),
            model=assistant.chat_model,
            adapter=adapter_path,
            grammar=plan.grammar,
            json_schema=plan.json_schema,
        )
    return Prepared(
        assistant=assistant,
        question=question,
        hits=hits,
        classification=classification,
        evidence=evidence,
        context=context,
        provider=provider,
        strategy=chosen,
        request=request,
        facts=facts,
        decline_reason=decline_reason,
        retrieval_ms=retrieval_ms,
        started=started,
        adapter_label=adapter_label,
    )


def _any_word_hits(
    question: str, found: list[SearchHit], *, assistant: Assistant, public_only: bool
) -> list[SearchHit]:
    """Chunks holding any of the question's words that hybrid search left out.

    Hybrid search's keyword side only finds chunks holding every word of the question; in an inflected language
    ("звонить" / "позвоните") that rarely happens, so chunks holding some of them are added, for sentence ranking
    to weigh. English questions keep hybrid search's hits alone.
    """
    try:
        extra = search(
            question,
            top_k=ANY_WORD_CHUNKS,
            mode="keyword",
            tags=assistant.tag_filters,
            language=None,
            visibility="public" if public_only else None,
        )
    except SearchError:
        return []
    seen = {hit.chunk_id for hit in found}
    return [hit for hit in extra if hit.chunk_id not in seen]


def _priority(question: str, classification: Classification, escalate: bool) -> str:
    if URGENT.search(question):
        return "urgent"
    if (classification.certain and classification.label == "complaint") or escalate:
        return "high"
    return "normal"


class _Run:
    """One answer being produced: the sentences let through so far and what happened on the way."""

    def __init__(self, prepared: Prepared) -> None:
        self.prepared = prepared
        assistant = prepared.assistant
        self.verifier = Verifier(prepared.evidence, names_from=f"{assistant.name} {assistant.policy}")
        self.sentences: list[Checked] = []
        self.model_text = ""
        self.provider = prepared.provider if prepared.request else "extractive"
        self.fallback_from: str | None = None
        self.error: str | None = None
        self.declined = False
        self.first_ms: float | None = None
        self.adapter = ""
        self.model = ""

    def _emit(self, checked: Checked) -> Iterator[str]:
        self.sentences.append(checked)
        if checked.verified:
            if self.first_ms is None:
                self.first_ms = (time.perf_counter() - self.prepared.started) * 1000
            yield checked.text if len(self.verified()) == 1 else f" {checked.text}"

    def verified(self) -> list[Checked]:
        return [s for s in self.sentences if s.verified]

    def _pick(self, sentence: Sentence) -> Checked:
        """A sentence the model chose: quoted if it answers the question nearly as well as the best one."""
        evidence = self.prepared.evidence
        floor = max(evidence.answer_floor(), evidence.best() - ANSWER_MARGIN)
        if sentence.score < floor:
            reason = f"chosen by the model but not about the question ({sentence.score:.2f} < {floor:.2f})"
            return Checked(sentence.text, False, sentence.ref, "quote", reason)
        return self.verifier.quote(sentence)

    def _extractive(self) -> Iterator[str]:
        for sentence in self.prepared.evidence.answer_sentences(EXTRACTIVE_SENTENCES):
            yield from self._emit(self.verifier.quote(sentence))

    def _decline(self) -> Iterator[str]:
        self.declined = True
        self.first_ms = self.first_ms or (time.perf_counter() - self.prepared.started) * 1000
        yield decline_text(self.prepared.assistant.language)

    def _model(self) -> Iterator[str]:
        prepared = self.prepared
        assert prepared.request is not None
        facts = prepared.facts
        streaming = StreamingVerifier(self.verifier, translate=lambda raw: strategies.to_chunk_citations(raw, facts))
        picked: list[int] = []
        generation: Generation | None = None
        for event in stream(prepared.request, prepared.provider, fallback=False):
            if isinstance(event, Generation):
                generation = event
                break
            self.model_text += event
            if prepared.strategy == strategies.SELECT:
                for number in strategies.parse_picks(self.model_text, len(prepared.facts)):
                    if number not in picked and re.search(rf"\b{number}\D", self.model_text + " "):
                        picked.append(number)
                        yield from self._emit(self._pick(prepared.facts[number - 1]))
            else:
                for checked in streaming.feed(event):
                    yield from self._emit(checked)
        assert generation is not None
        self.adapter = prepared.adapter_label if generation.adapter else ""
        self.model = generation.model
        if generation.error:
            self.error = generation.error
        if prepared.strategy != strategies.SELECT:
            truncated = generation.tokens >= prepared.request.params.max_new_tokens
            for checked in streaming.finish(truncated=truncated):
                yield from self._emit(checked)

    def pieces(self) -> Iterator[str]:
        prepared = self.prepared
        if prepared.decline_reason:
            yield from self._decline()
            return
        if prepared.request is None:
            yield from self._extractive()
        else:
            yield from self._model()
            if not self.verified():
                self.fallback_from = prepared.provider
                if self.error is None:
                    unverified = len(self.sentences)
                    self.error = (
                        ngettext(
                            "none of the model's %(count)d sentence could be verified",
                            "none of the model's %(count)d sentences could be verified",
                            unverified,
                        )
                        % {"count": unverified}
                        if unverified
                        else _("the model chose no knowledge sentence")
                    )
                self.provider = "extractive"
                yield from self._extractive()
        if not self.verified():
            yield from self._decline()

    def finish(self) -> Answer:
        prepared, assistant = self.prepared, self.prepared.assistant
        hits = prepared.hits
        verified = self.verified()
        refs: list[int] = []
        for sentence in verified:
            if sentence.ref is not None and sentence.ref not in refs:
                refs.append(sentence.ref)
        citations = [
            Citation(
                ref=ref,
                chunk_id=hits[ref - 1].chunk_id,
                document_id=hits[ref - 1].document_id,
                document=hits[ref - 1].document_title,
                snippet=hits[ref - 1].text[:SNIPPET_CHARS],
            )
            for ref in refs
        ]
        similarities = [h.similarity for h in hits if h.similarity is not None]
        classification = prepared.classification
        decision = decide(
            text=prepared.question,
            keywords=assistant.escalation_keywords,
            best_similarity=max(similarities) if similarities else None,
            min_similarity=assistant.escalate_below_similarity,
            request_type=classification.label,
            always_escalate_types=assistant.always_escalate_types,
            classifier_confidence=classification.confidence,
            type_certain=classification.certain,
            declined=self.declined,
            cited=bool(citations),
        )
        tags = [classification.label] if classification.certain else []
        for hit in hits:
            tags += [t for t in hit.tags if t not in tags]
        text = decline_text(assistant.language) if self.declined else " ".join(s.text for s in verified)
        # Declining up front is no error; declining after the model failed says what failed.
        error = None if self.declined and self.fallback_from is None else self.error
        return Answer(
            text=text,
            citations=citations,
            request_type=classification.label,
            confidence=classification.confidence,
            request_type_certain=classification.certain,
            priority=_priority(prepared.question, classification, decision.escalate),
            tags=tags[:5],
            escalate=decision.escalate,
            reasons=decision.reasons,
            provider=self.provider,
            latency_ms=(time.perf_counter() - prepared.started) * 1000,
            retrieval_ms=prepared.retrieval_ms,
            fallback_from=self.fallback_from,
            error=error,
            first_token_ms=self.first_ms,
            sentences=self.sentences,
            declined=self.declined,
            strategy=prepared.strategy if prepared.request else strategies.EXTRACTIVE,
            model_text=self.model_text,
            adapter=self.adapter,
            model=self.model,
            messages=prepared.request.messages if prepared.request else [],
            hits=hits,
        )


def answer_stream(
    *,
    assistant: Assistant,
    question: str,
    history: Sequence[Turn] = (),
    strategy: str | None = None,
    public_only: bool = False,
    adapter: str | None = None,
) -> Iterator[str | Answer]:
    """Verified sentences as soon as each one passes (a leading space between them), then the ``Answer``.

    ``adapter``: None answers with the assistant's active LoRA adapter, "" with the base model.
    """
    prepared = prepare(
        assistant=assistant,
        question=question,
        history=history,
        strategy=strategy,
        public_only=public_only,
        adapter=adapter,
    )
    run = _Run(prepared)
    yield from run.pieces()
    yield run.finish()


def answer(
    *,
    assistant: Assistant,
    question: str,
    history: Sequence[Turn] = (),
    strategy: str | None = None,
    public_only: bool = False,
    adapter: str | None = None,
) -> Answer:
    """A verified, cited answer to ``question`` by ``assistant`` (or its declining, with the reason)."""
    result: Answer | None = None
    for event in answer_stream(
        assistant=assistant,
        question=question,
        history=history,
        strategy=strategy,
        public_only=public_only,
        adapter=adapter,
    ):
        if isinstance(event, Answer):
            result = event
    assert result is not None
    return result
