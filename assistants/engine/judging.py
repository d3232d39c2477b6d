"""A second look before declining: the chat model says which of the nearest sentences answers, if any.

Sentence embeddings score an answer that uses other words than the question ("my boxes are wet" against "If you
find water or damp in your unit, ...", «бензин» against «топливо») under the answer floor, and a lower floor would
answer the questions the help center cannot. A model that reads both understands the paraphrase. So when no sentence
reaches the floor, the few best candidates, each with its section's heading, are numbered for the model, which
replies with one digit under a grammar: the number of the sentence that answers, or 0. Only would-be declines pay
for it (one short prompt, one token); the sentence it names is quoted as it stands and verified like any other.

Only a model that can judge is asked: Qwen2.5-1.5B reads English and Russian paraphrases; SmolLM2-135M cannot (it
names a sentence for almost any question), so an assistant answering with it is judged by Qwen when Qwen's file is
installed, and by nobody otherwise.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.conf import settings

from assistants.engine.evidence import Evidence, Sentence
from helpdesk.ai import GenerationParams, GenerationRequest, Message, ProviderError, chat_models, generate

logger = logging.getLogger(__name__)

JUDGE_CANDIDATES = 3  # the sentences the model reads: the right one was among the best 3 of every missed answer
# Candidates scoring under this share nothing with the question; the model is not asked about them. The lowest
# right answer of the tuning sets scored 0.24 ("Протечка, коробки намокли" / "воду или сырость").
JUDGE_MIN_SCORE = 0.2
JUDGES = (chat_models.QWEN.key,)  # the local models that tell an answer from a sentence on the same topic
# The fixed instruction comes first: llama.cpp keeps its evaluated prefix, so each call reads only what follows it.
JUDGE_PROMPT = (
    "Below are a customer's message to a help center and sentences from the help center's articles. Does one of "
    "the sentences answer the customer's message, or tell the customer what to do about it? Reply with the number "
    "of that sentence only. Reply 0 if none of them answers it.\n\nSentences:\n{sentences}\n\nCustomer's "
    "message: {question}"
)


@dataclass(frozen=True)
class Judgement:
    sentence: Sentence | None  # the one the model named; None when it named none (or could not be asked)
    model: str
    latency_ms: float
    candidates: int


def judge_model(*, provider: str, chat_model: str) -> str:
    """The model that judges for an assistant answering with ``chat_model`` through ``provider``; "" for none."""
    if provider != "llamacpp":
        return ""
    if chat_model in JUDGES:
        return chat_model
    try:
        chat_models.gguf_path(chat_models.QWEN.key)
    except ProviderError:
        return ""
    return chat_models.QWEN.key


def candidates(evidence: Evidence) -> list[Sentence]:
    """The best sentences under the floor that are worth the model's look, best first."""
    return [s for s in evidence.ranked()[:JUDGE_CANDIDATES] if s.score >= JUDGE_MIN_SCORE]


def prompt(evidence: Evidence, sentences: list[Sentence]) -> str:
    numbered = "\n".join(
        f"{n}. {s.heading}: {s.text}" if s.heading and s.heading != s.text else f"{n}. {s.text}"
        for n, s in enumerate(sentences, start=1)
    )
    return JUDGE_PROMPT.format(question=evidence.question.strip(), sentences=numbered)


def judge(evidence: Evidence, *, provider: str, model: str) -> Judgement:
    """Ask ``model`` which candidate sentence answers ``evidence.question``; a failing model names none."""
    sentences = candidates(evidence)
    started = time.perf_counter()
    if not sentences or not model:
        return Judgement(None, model, 0.0, len(sentences))
    request = GenerationRequest(
        messages=[Message("user", prompt(evidence, sentences))],
        params=GenerationParams(max_new_tokens=1, temperature=0.0, timeout_seconds=settings.LLM_TIMEOUT_SECONDS),
        model=model,
        grammar=f"root ::= [0-{len(sentences)}]",
    )
    try:
        reply = generate(request, provider, fallback=False).text.strip()
    except Exception as exc:  # a failing judge leaves the decline as it was
        logger.warning("the answer judge %s failed: %s", model, exc)
        return Judgement(None, model, (time.perf_counter() - started) * 1000, len(sentences))
    latency_ms = (time.perf_counter() - started) * 1000
    number = int(reply) if reply.isdigit() else 0
    chosen = sentences[number - 1] if 0 < number <= len(sentences) else None
    return Judgement(chosen, model, latency_ms, len(sentences))
