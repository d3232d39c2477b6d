"""The model registry: which provider answers, built from settings, with metrics and a fallback.

The built-in providers (llama.cpp, transformers, Ollama) are registered here; the fallback
provider ``extractive`` answers without a model from the retrieved context and is registered
by the app that owns that logic (``register_provider``, from its ``AppConfig.ready()``).
Providers never import this module.

llama.cpp serves one provider per model file (``request.model``: a key of ``helpdesk.ai.chat_models``,
or empty for LLM_MODEL / SmolLM2): each is created once per process, under a lock, and loads its
model on its first generation, so a process holds at most one copy of each model it has used.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import cache
from pathlib import Path

from django.conf import settings

from helpdesk.ai import chat_models, metrics
from helpdesk.ai.providers.llamacpp import LlamaCppProvider
from helpdesk.ai.providers.ollama import OllamaProvider
from helpdesk.ai.providers.transformers import TransformersProvider
from helpdesk.ai.types import Generation, GenerationRequest, Provider, ProviderError

logger = logging.getLogger(__name__)
FALLBACK = "extractive"  # answers from the retrieved context when a model fails; registered by its app
# Every provider name a setting or an assistant may choose (the choices of LLM_PROVIDER).
PROVIDER_KEYS = ("llamacpp", "transformers", "ollama", FALLBACK)
BUILT_IN = ("llamacpp",)  # chosen per model below, not through a registered factory


@cache
def _transformers(model: str, models_dir: str, dtype: str) -> Provider:
    return TransformersProvider(
        model=model, models_dir=Path(models_dir), dtype=dtype, adapter_cache=settings.LORA_ADAPTER_CACHE
    )


_llamacpp_providers: dict[tuple[str, int], Provider] = {}
_llamacpp_lock = threading.Lock()


def _llamacpp_path(model: str) -> str:
    """The GGUF file for a model key ("" = LLM_MODEL, else SmolLM2), resolved so that one file is one provider."""
    if not model and settings.LLM_MODEL:
        return str(Path(settings.LLM_MODEL).resolve())
    return str(chat_models.gguf_path(model or chat_models.SMOLLM2.key).resolve())


def _llamacpp(model: str, threads: int) -> Provider:
    key = (_llamacpp_path(model), threads)
    with _llamacpp_lock:
        provider = _llamacpp_providers.get(key)
        if provider is None:
            provider = _llamacpp_providers[key] = LlamaCppProvider(
                model=key[0],
                threads=threads or None,
                adapter_cache=settings.LORA_ADAPTER_CACHE,
                state_cache_bytes=settings.LORA_PROMPT_CACHE_MB * 2**20,
            )
    return provider


def _ollama() -> Provider:
    return OllamaProvider(
        host=settings.OLLAMA_HOST, model=settings.OLLAMA_MODEL, timeout_seconds=settings.LLM_TIMEOUT_SECONDS
    )


_factories: dict[str, Callable[[], Provider]] = {
    "transformers": lambda: _transformers(settings.LLM_MODEL, str(settings.MODELS_DIR), settings.LLM_DTYPE),
    "ollama": _ollama,
}


def register_provider(name: str, factory: Callable[[], Provider]) -> None:
    """Make ``name`` (one of PROVIDER_KEYS) answer with what ``factory()`` returns."""
    if name in BUILT_IN:
        raise ValueError(f"{name!r} is built in (one provider per model file); it cannot be replaced")
    if name not in PROVIDER_KEYS:
        raise ValueError(f"{name!r} is not one of the provider names {', '.join(PROVIDER_KEYS)}")
    _factories[name] = factory


def get_provider(name: str, model: str = "") -> Provider:
    """A provider configured from settings; a local model is loaded lazily, once per process.

    ``model`` chooses llama.cpp's model (a key of ``helpdesk.ai.chat_models``); other providers read
    ``request.model`` themselves (Ollama) or serve one configured model (transformers).
    """
    if name == "llamacpp":
        return _llamacpp(model, settings.LLM_THREADS)
    factory = _factories.get(name)
    if factory is None:
        if name in PROVIDER_KEYS:
            raise ProviderError(f"LLM provider {name!r} is not registered (the app that provides it is not installed)")
        raise ProviderError(f"unknown LLM provider {name!r}; choose one of {', '.join(PROVIDER_KEYS)}")
    return factory()


def _fallback(request: GenerationRequest, name: str, exc: Exception) -> Generation:
    reason = type(exc).__name__
    metrics.LLM_FAILURES.labels(name, reason).inc()
    metrics.LLM_FALLBACKS.labels(name).inc()
    logger.warning("LLM provider %s failed (%s); answering extractively", name, exc)
    answer = get_provider(FALLBACK).generate(request)
    return Generation(
        text=answer.text,
        provider=answer.provider,
        model=answer.model,
        tokens=answer.tokens,
        latency_ms=answer.latency_ms,
        fallback_from=name,
        error=str(exc),
    )


def generate(request: GenerationRequest, provider: str | None = None, *, fallback: bool = True) -> Generation:
    """Generate with ``provider`` (default: LLM_PROVIDER).

    On any failure the fallback provider answers and the result says why (``fallback_from``, ``error``);
    with ``fallback=False`` the failure is counted and raised instead.
    """
    name = provider or settings.LLM_PROVIDER
    try:
        generation = get_provider(name, request.model).generate(request)
    except Exception as exc:  # a broken provider must never break the answer
        if not fallback:
            metrics.LLM_FAILURES.labels(name, type(exc).__name__).inc()
            raise
        return _fallback(request, name, exc)
    metrics.observe(name, generation.latency_ms / 1000, generation.tokens)
    return generation


def _stream(request: GenerationRequest, name: str) -> Iterator[str | Generation]:
    """Text pieces as they are generated, then the final ``Generation`` (its ``error`` says why a failure ended it)."""
    started = time.perf_counter()
    pieces: list[str] = []
    first_token_ms: float | None = None
    error: str | None = None
    try:
        for piece in get_provider(name, request.model).stream(request):
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
        instance = get_provider(name, request.model)
        model = getattr(instance, "model_name", "") or getattr(instance, "model", "")
        adapter_for = getattr(instance, "adapter_for", None)
    except ProviderError:
        model, adapter_for = request.model, None
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


def stream(
    request: GenerationRequest, provider: str | None = None, *, fallback: bool = True
) -> Iterator[str | Generation]:
    """Yield text pieces as they are generated, then the final ``Generation``.

    A provider failing before its first piece falls back to the fallback provider's answer; one failing
    later ends the answer where it stopped, with the error recorded. With ``fallback=False`` any failure
    ends the stream with a ``Generation`` whose ``error`` says why (its text is what came before).
    """
    name = provider or settings.LLM_PROVIDER
    for event in _stream(request, name):
        if fallback and isinstance(event, Generation) and event.error and not event.text:
            metrics.LLM_FALLBACKS.labels(name).inc()
            answer = get_provider(FALLBACK).generate(request)
            yield answer.text
            yield replace(answer, fallback_from=name, error=event.error)
            return
        yield event


def check_llm() -> tuple[bool, str | None]:
    """/health/deps: can the configured provider answer (without generating)?"""
    try:
        provider = get_provider(settings.LLM_PROVIDER)
    except ProviderError as exc:  # llama.cpp's model file is missing or refused
        return False, str(exc)
    return provider.check()
