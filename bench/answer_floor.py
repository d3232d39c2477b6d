"""The answer floor of each embedding model: the evidence score below which no sentence answers a question.

The answer engine declines when no sentence of the retrieved knowledge scores ``MIN_ANSWER_SCORE`` against the
question (cosine + lexical overlap + a bonus for holding the kind of fact asked for). That floor was tuned with
MiniLM on English (``bench/fixtures/grounding.json``). Models spread cosines differently: centred
multilingual-e5 scores related pairs lower than MiniLM does (``bench/results/embed_scale.md``), so the same
floor declines questions the knowledge base answers. The floor is therefore a property of the model, set once
per model by this calibration, on data the answer benchmark does not use:

- data: ``bench/fixtures/help_ru_en.json``, 24 short articles of an online shop in Russian and English with a
  paraphrased customer question each (no phrase copied from its article);
- for each question, the evidence is built exactly as the engine builds it (``assistants.engine.evidence``)
  over all 24 articles: the best score of a sentence of the question's own article is an *answering* score;
  built again without that article, the best score of any sentence is a *non-answering* score (what an
  unanswerable question meets);
- the reference is MiniLM on English with its tuned floor: its position between the medians of the two
  distributions, ``t = (floor - median_non) / (median_ans - median_non)``, is kept, and every other model's
  floor is put at the same position between its own medians (Russian and English questions pooled for a
  multilingual model).

    .venv/bin/python bench/answer_floor.py

Writes ``bench/results/answer_floor.{json,md}``; the floors go by hand into
``assistants.engine.evidence.MIN_ANSWER_SCORES`` (rounded to two decimals).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from assistants.engine import evidence  # noqa: E402
from helpdesk.ai import ContextChunk  # noqa: E402
from helpdesk.ai.embed import embedder  # noqa: E402

ARTICLES = json.loads((ROOT / "bench" / "fixtures" / "help_ru_en.json").read_text())["articles"]
RESULTS = ROOT / "bench" / "results"
REFERENCE = ("minilm", ["en"])  # the model and languages the engine's floor was tuned with
MODELS = {"minilm": ["en"], "e5": ["ru", "en"]}  # MiniLM cannot read Russian (embed_scale.md)


def scores(model: str, language: str) -> tuple[list[float], list[float]]:
    """(answering, non-answering) best scores of every question of one language, as the engine scores them."""

    def embed(texts):  # type: ignore[no-untyped-def]
        return embedder(model).embed(list(texts))

    chunks = [
        ContextChunk(ref=i, text=a[f"text_{language}"], title=a[f"title_{language}"], heading="")
        for i, a in enumerate(ARTICLES, start=1)
    ]
    answering, non_answering = [], []
    for ref, article in enumerate(ARTICLES, start=1):
        question = article[f"q_{language}"]
        found = evidence.build(question=question, context=chunks, language=language, embed=embed, model=model)
        answering.append(max(s.score for s in found.of_chunk(ref)))
        others = [c for c in chunks if c.ref != ref]
        without = evidence.build(question=question, context=others, language=language, embed=embed, model=model)
        non_answering.append(without.best())
    return answering, non_answering


def main() -> None:
    measured: dict[str, dict[str, Any]] = {}
    for model, languages in MODELS.items():
        answering: list[float] = []
        non_answering: list[float] = []
        for language in languages:
            a, n = scores(model, language)
            answering += a
            non_answering += n
        measured[model] = {
            "languages": languages,
            "answering": [round(x, 4) for x in answering],
            "non_answering": [round(x, 4) for x in non_answering],
            "median_answering": round(statistics.median(answering), 4),
            "median_non_answering": round(statistics.median(non_answering), 4),
        }
    ref = measured[REFERENCE[0]]
    reference_floor = evidence.MIN_ANSWER_SCORES[REFERENCE[0]]
    position = (reference_floor - ref["median_non_answering"]) / (ref["median_answering"] - ref["median_non_answering"])
    for values in measured.values():
        floor = values["median_non_answering"] + position * (
            values["median_answering"] - values["median_non_answering"]
        )
        values["floor"] = round(floor, 4)
        values["shipped_floor"] = evidence.MIN_ANSWER_SCORES.get(next(k for k in measured if measured[k] is values))
        shipped = values["shipped_floor"]
        values["answering_below_shipped_floor"] = sum(x < shipped for x in values["answering"])
        values["non_answering_above_shipped_floor"] = sum(x >= shipped for x in values["non_answering"])
    report = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "data": "bench/fixtures/help_ru_en.json",
        "reference": {"model": REFERENCE[0], "languages": REFERENCE[1], "floor": reference_floor},
        "position": round(position, 4),
        "models": measured,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "answer_floor.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))
    lines = [
        "# Answer floor per embedding model",
        "",
        "Data: `bench/fixtures/help_ru_en.json` (24 articles, a paraphrased question each), never the answer "
        "benchmark's sets. Scores are the engine's evidence scores (cosine + lexical + fact-kind bonus). "
        f"Reference: {REFERENCE[0]} on {', '.join(REFERENCE[1])} with its tuned floor {reference_floor}, at "
        f"position {position:.2f} between the medians of non-answering and answering best scores; every model's "
        "floor is put at the same position between its own medians.",
        "",
        "| model | questions | median answering | median non-answering | calibrated floor | shipped floor | "
        "answering below shipped floor | non-answering at or above it |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for model, v in measured.items():
        lines.append(
            f"| {model} | {len(v['answering'])} ({'+'.join(v['languages'])}) | {v['median_answering']:.3f} | "
            f"{v['median_non_answering']:.3f} | {v['floor']:.3f} | {v['shipped_floor']} | "
            f"{v['answering_below_shipped_floor']} | {v['non_answering_above_shipped_floor']} |"
        )
    (RESULTS / "answer_floor.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
