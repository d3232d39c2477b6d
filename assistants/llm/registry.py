from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import replace
from functools import cache
from pathlib import Path

from django.conf import settings

from assistants.llm import metrics
from assistants.llm.base import Generation, GenerationRequest, Provider, ProviderError
from assistants.llm.extractive import ExtractiveProvider

logger = logging.getLogger(__name__)
PROVIDERS = ("llamacpp", "transformers", "ollama", "extractive")


@cache
def _transformers(model: str, models_dir: str, dtype: str) -> Provider:
    from assistants.llm.transformers_provider import TransformersProvider

    return TransformersProvider(
        model=model, models_dir=Path(models_dir), dtype=dtype, adapter_cache=settings.LORA_ADAPTER_CACHE
    )


@cache
def _llamacpp(model: str, threads: int) -> Provider:
    from assistants.llm.llamacpp_provider import LlamaCppProvider

    return LlamaCppProvider(
        model=model,
        threads=threads or None,
        adapter_cache=settings.LORA_ADAPTER_CACHE,
        state_cache_bytes=settings.LORA_PROMPT_CACHE_MB * 2**20,
    )


def get_provider(name: str) -> Provider:
    """A provider configured from settings; a local model is loaded lazily, once per process."""
    if name == "llamacpp":
        return _llamacpp(settings.LLM_MODEL, settings.LLM_THREADS)
    if name == "transformers":
        return _transformers(settings.LLM_MODEL, str(settings.MODELS_DIR), settings.LLM_DTYPE)
    if name == "ollama":
        from assistants.llm.ollama_provider import OllamaProvider

        return OllamaProvider(
            host=settings.OLLAMA_HOST, model=settings.OLLAMA_MODEL, timeout_seconds=settings.LLM_TIMEOUT_SECONDS
        )
    if name == "extractive":
        return ExtractiveProvider()
    raise ProviderError(f"unknown LLM provider {name!r}; choose one of {', '.join(PROVIDERS)}")


def _fallback(request: GenerationRequest, name: str, exc: Exception) -> Generation:
    reason = type(exc).__name__
    metrics.LLM_FAILURES.labels(name, reason).inc()
    metrics.LLM_FALLBACKS.labels(name).inc()
    logger.warning("LLM provider %s failed (%s); answering extractively", name, exc)
    answer = get_provider("extractive").generate(request)
    return Generation(
        text=answer.text,
        provider=answer.provider,
        model=answer.model,
        tokens=answer.tokens,
        latency_ms=answer.latency_ms,
        fallback_from=name,
        error=str(exc),
    )


def generate_with_fallback(request: GenerationRequest, provider: str | None = None) -> Generation:
    """Generate with ``provider`` (default: LLM_PROVIDER); on any failure, answer extractively and say why."""
    name = provider or settings.LLM_PROVIDER
    try:
        generation = get_provider(name).generate(request)
    except Exception as exc:  # a broken provider must never break the answer
        return _fallback(request, name, exc)
    metrics.observe(name, generation.latency_ms / 1000, generation.tokens)
    return generation


def stream_generation(request: GenerationRequest, provider: str | None = None) -> Iterator[str | Generation]:
    """Yield text pieces as they are generated, then the final ``Generation``, without any fallback.

    A failure ends the stream with a ``Generation`` whose ``error`` says why (its text is what came before).
    """
    name = provider or settings.LLM_PROVIDER
    started = time.perf_counter()
    pieces: list[str] = []
    first_token_ms: float | None = None
    error: str | None = None
    try:
        for piece in get_provider(name).stream(request):
            if first_token_ms is None:
                first_token_ms = (time.perf_counter() - started) * 1000
                metrics.LLM_FIRST_TOKEN.labels(name).observe(first_token_ms / 1000)
            pieces.append(piece)
            yield piece
    except Exception as exc:  # a broken provider must never break the answer
        metrics.LLM_FAILURES.labels(name, type(exc).__name__).inc()
        logger.warning("LLM provider %s failed (%s)", name, exc)
        error = str(exc) or type(exc).__name__
    latency_ms = (time.perf_counter() - started) * 1000
    tokens = len(pieces)
    if error is None:
        metrics.observe(name, latency_ms / 1000, tokens)
    try:
        instance = get_provider(name)
        model = getattr(instance, "model_name", "") or getattr(instance, "model", "")
        adapter_for = getattr(instance, "adapter_for", None)
    except ProviderError:
        model, adapter_for = "", None
    yield Generation(
        text="".join(pieces).strip(),
        provider=name,
        model=str(model),
        tokens=tokens,
        latency_ms=latency_ms,
        first_token_ms=first_token_ms,
        error=error,
        adapter=adapter_for(request) if adapter_for else "",
    )


def stream_with_fallback(request: GenerationRequest, provider: str | None = None) -> Iterator[str | Generation]:
    """Yield text pieces as they are generated, then the final ``Generation``.

    A provider failing before its first piece falls back to the extractive answer; one failing
    later ends the answer where it stopped, with the error recorded.
    """
    name = provider or settings.LLM_PROVIDER
    for event in stream_generation(request, name):
        if isinstance(event, Generation) and event.error and not event.text:
            metrics.LLM_FALLBACKS.labels(name).inc()
            fallback = get_provider("extractive").generate(request)
            yield fallback.text
            yield replace(fallback, fallback_from=name, error=event.error)
            return
        yield event


def check_llm() -> tuple[bool, str | None]:
    """/health/deps: can the configured provider answer (without generating)?"""
    return get_provider(settings.LLM_PROVIDER).check()
