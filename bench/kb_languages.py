"""Knowledge-base benchmark across languages: MiniLM against multilingual-e5-small on Russian, English and
cross-language retrieval, with query latency and ingestion throughput.

Run::

    .venv/bin/python bench/kb_languages.py [--man-pages 100] [--repeat 30]

On the embedded PostgreSQL of this checkout (database ``bench_kb``), one tenant per model. Data:

- ``bench/fixtures/help_ru_en.json``: 24 help-center articles of an online shop, each in Russian and
  in English (the same facts), with a customer's question per article, paraphrased in each
  language (no phrase copied from the article). The Russian and the English articles are two
  separate corpora of one tenant (search is restricted to one with ``document_ids``):
  RU→RU, EN→EN, RU→EN (a Russian question over the English articles) and EN→RU.
- ``--man-pages N``: the English man-page set of ``bench/kb.py`` (each page's NAME line is the
  query, removed from the indexed text), a larger English set with near neighbours.
- ``--debian-packages N``: the installed Debian packages' descriptions, written by their maintainers,
  not by us: the one-line summary is the query, the long description (without the summary) the
  document; packages whose summary or long description repeats another's are left out.

Metrics per model and mode (vector, hybrid): recall@1, recall@5, MRR@10 (a hit is the article
the question was written for); p50/p95 of embedding one query and of a whole search; ingestion:
chunks per second through the product's indexing (extract, chunk, embed, store) and of the model
alone on the same chunks.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.kb import BASE_DIR, man_corpus, percentiles, setup_django, timed  # noqa: E402 - the bench this extends

RESULTS = BASE_DIR / "bench" / "results"
FIXTURE = BASE_DIR / "bench" / "fixtures" / "help_ru_en.json"
MODELS = ("minilm", "e5")
SETS = {"ru→ru": ("q_ru", "ru"), "en→en": ("q_en", "en"), "ru→en": ("q_ru", "en"), "en→ru": ("q_en", "ru")}
EXTRA_SETS = ("man pages (en)", "debian packages (en)")


def debian_corpus(limit: int) -> list[dict[str, str]]:
    """Installed packages as {"name", "query", "text"}: summary → long description (dpkg's own records)."""
    out = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Package}\t${Description}\n\x1e"],  # noqa: S607 - Debian's own tool
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pages: list[dict[str, str]] = []
    seen: set[str] = set()
    for record in sorted(out.split("\x1e")):
        name, _, description = record.strip("\n").partition("\t")
        summary, _, rest = description.partition("\n")
        body = "\n".join("" if line.strip() == "." else line.strip() for line in rest.splitlines()).strip()
        key_summary, key_body = summary.strip().lower(), " ".join(body.split()).lower()
        if len(summary.split()) < 3 or len(body) < 80 or key_summary in seen or key_body in seen:
            continue
        seen.update((key_summary, key_body))
        pages.append({"name": name, "query": summary.strip(), "text": body})
    return pages[:limit]


def tenant_for(model: str) -> Any:
    from helpdesk.tenants.models import Tenant
    from helpdesk.tenants.services import public_tenant_ensure, tenant_create

    schema = f"benchlang_{model}"
    public_tenant_ensure()
    old = Tenant.objects.filter(schema_name=schema).first()
    if old is not None:
        old.delete(force_drop=True)
    tenant = tenant_create(schema_name=schema, name=f"Bench {model}", domain=f"{schema.replace('_', '-')}.localhost")
    # An empty tenant: setting the model directly needs no switch.
    Tenant.objects.filter(pk=tenant.tenant.pk).update(embedding_model=model)
    return Tenant.objects.get(pk=tenant.tenant.pk)


def ingest(
    articles: list[dict[str, str]], extra: dict[str, list[dict[str, str]]]
) -> tuple[dict[str, Any], dict[str, dict]]:
    """Index every article (both languages) and the extra sets' pages; returns the timing and the ids by set."""
    from helpdesk import ai
    from knowledge import services
    from knowledge.models import Chunk

    ids: dict[str, dict[str, int]] = {"ru": {}, "en": {}, **{name: {} for name in extra}}
    started = time.perf_counter()
    for lang in ("ru", "en"):
        for article in articles:
            document = services.document_create_from_text(
                title=article[f"title_{lang}"], text=article[f"text_{lang}"], language=lang, enqueue=False
            )
            services.document_index(document_id=document.pk)
            ids[lang][article["id"]] = document.pk
    for name, pages in extra.items():
        for page in pages:
            document = services.document_create_from_text(title=page["name"], text=page["text"], enqueue=False)
            services.document_index(document_id=document.pk)
            ids[name][page["name"]] = document.pk
    seconds = time.perf_counter() - started
    chunks = Chunk.objects.count()
    texts = [f"{c.heading}\n{c.text}" if c.heading else c.text for c in Chunk.objects.order_by("pk")]
    embedder = ai.embedder()
    embedder.embed_passages(texts[:8])  # warm
    model_started = time.perf_counter()
    embedder.embed_passages(texts)
    model_seconds = time.perf_counter() - model_started
    return {
        "chunks": chunks,
        "pipeline_seconds": round(seconds, 2),
        "pipeline_chunks_per_s": round(chunks / seconds, 2),
        "model_chunks_per_s": round(len(texts) / model_seconds, 2),
        "mean_chunk_tokens": round(sum(embedder.count_tokens(texts)) / max(1, len(texts)), 1),
    }, ids


def quality(questions: list[tuple[str, int]], document_ids: list[int], mode: str) -> dict[str, float]:
    from knowledge import services

    at1 = at5 = 0
    reciprocal = 0.0
    for question, expected in questions:
        hits = services.search(question, mode=mode, top_k=10, document_ids=document_ids)
        ranks = [i for i, hit in enumerate(hits, start=1) if hit.document_id == expected]
        if ranks:
            at1 += ranks[0] == 1
            at5 += ranks[0] <= 5
            reciprocal += 1 / ranks[0]
    n = len(questions)
    return {"recall@1": round(at1 / n, 3), "recall@5": round(at5 / n, 3), "mrr@10": round(reciprocal / n, 3)}


def bench_model(
    model: str, articles: list[dict[str, str]], extra: dict[str, list[dict[str, str]]], repeat: int
) -> dict:
    from django_tenants.utils import tenant_context

    from helpdesk import ai
    from knowledge import services

    tenant = tenant_for(model)
    result: dict[str, Any] = {"model": model}
    with tenant_context(tenant):
        ai.embedder(model).load()
        result["ingestion"], ids = ingest(articles, extra)
        for name, (field, corpus) in SETS.items():
            questions = [(a[field], ids[corpus][a["id"]]) for a in articles]
            scope = list(ids[corpus].values())
            result[name] = {mode: quality(questions, scope, mode) for mode in ("vector", "hybrid")}
        for name, pages in extra.items():
            questions = [(p["query"], ids[name][p["name"]]) for p in pages]
            scope = list(ids[name].values())
            result[name] = {mode: quality(questions, scope, mode) for mode in ("vector", "hybrid")}
        queries = [a["q_ru"] for a in articles] + [a["q_en"] for a in articles]
        queries = (queries * max(1, repeat // len(queries) + 1))[: max(repeat, len(queries))]
        embed_times, _ = timed(ai.embedder(model).embed_query, queries)
        search_times, _ = timed(lambda q: services.search(q, top_k=5), queries)
        result["query_embedding"] = percentiles(embed_times)
        result["search_hybrid"] = percentiles(search_times)
    return result


NOTES = """Notes.
- e5 vectors are centred by a fixed mean vector (helpdesk.ai.e5_centre) since this run. Against the
  run before (raw e5, same sets), e5 recall@1 / @5 / MRR: ru→ru 0.62/0.79/0.69 → 0.62/0.88/0.71,
  en→en 0.67/0.96/0.80 → 0.67/0.96/0.81, ru→en 0.58/0.92/0.74 → 0.54/0.96/0.71, en→ru
  0.46/0.83/0.61 → 0.54/0.83/0.67, man pages 0.78/0.92/0.85 → 0.85/0.98/0.92 (vector). MiniLM unchanged.
- Hybrid equals vector on the help-center sets: the questions are paraphrases, so no article holds all
  their words and the full-text side (all terms required in hybrid mode) finds nothing to fuse.
- e5 in Russian and across languages is far ahead (MiniLM spells Cyrillic letter by letter). In English
  MiniLM is ahead on the help center (recall@1 0.75 vs 0.67) and on the man pages at @1 (0.92 vs 0.85,
  @5 equal at 0.98); that and its faster passage embedding keep it the default for English tenants
  (EMBEDDING_MODEL_FOR_ENGLISH). Both sets are small (24 and 60 queries): one query is 0.04 and 0.017.
- Debian packages (770 installed packages' one-line summaries → their maintainers' long descriptions,
  a set nobody here wrote; run 2026-12-07, --man-pages 60 --debian-packages 1000): e5 retrieves a
  little better than MiniLM (hybrid recall@5 0.90 vs 0.88, MRR 0.76 vs 0.74), as the issue's own
  measurement on a similar set of 743 (0.892/0.759 vs 0.872/0.745). English stays close and
  set-dependent; MiniLM remains the English default for its ~3x faster indexing.
- Speed: this run shared the two cores with test runs (load average 5-7): the times are inflated,
  e5's most (query p95). A quieter run before measured ~15 ms per query with both models and
  indexing at 6.6 (e5) against 41 (MiniLM) chunks/s for the model alone; centring adds a subtraction."""


def _p(times: dict[str, float]) -> str:
    return f"{times['p50_ms']:.1f} / {times['p95_ms']:.1f}"


def write_report(result: dict[str, Any]) -> None:
    (RESULTS / "kb_languages.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    models = [r["model"] for r in result["models"]]
    lines = [
        "# Knowledge base across languages: MiniLM vs multilingual-e5-small",
        "",
        f"Machine: {result['machine']}. Data: {result['data']}",
        "",
        "## Retrieval (recall@1 / recall@5 / MRR@10)",
        "",
        "| set | mode | " + " | ".join(models) + " |",
        "| --- | --- | " + " | ".join("---" for _ in models) + " |",
    ]
    sets = [s for s in result["models"][0] if s in SETS or s in EXTRA_SETS]
    for name in sets:
        for mode in ("vector", "hybrid"):
            cells = []
            for r in result["models"]:
                q = r[name][mode]
                cells.append(f"{q['recall@1']:.2f} / {q['recall@5']:.2f} / {q['mrr@10']:.2f}")
            lines.append(f"| {name} | {mode} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Speed",
        "",
        "| | " + " | ".join(models) + " |",
        "| --- | " + " | ".join("---" for _ in models) + " |",
        "| query embedding p50 / p95 (ms) | "
        + " | ".join(
            f"{r['query_embedding']['p50_ms']:.1f} / {r['query_embedding']['p95_ms']:.1f}" for r in result["models"]
        )
        + " |",
        "| hybrid search incl. embedding p50 / p95 (ms) | "
        + " | ".join(
            f"{r['search_hybrid']['p50_ms']:.1f} / {r['search_hybrid']['p95_ms']:.1f}" for r in result["models"]
        )
        + " |",
        "| chunks indexed | " + " | ".join(str(r["ingestion"]["chunks"]) for r in result["models"]) + " |",
        "| mean chunk length (model tokens) | "
        + " | ".join(str(r["ingestion"]["mean_chunk_tokens"]) for r in result["models"])
        + " |",
        "| ingestion, whole pipeline (chunks/s) | "
        + " | ".join(str(r["ingestion"]["pipeline_chunks_per_s"]) for r in result["models"])
        + " |",
        "| ingestion, model alone (chunks/s) | "
        + " | ".join(str(r["ingestion"]["model_chunks_per_s"]) for r in result["models"])
        + " |",
        "",
        NOTES,
        "",
    ]
    (RESULTS / "kb_languages.md").write_text("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--man-pages", type=int, default=0, help="also index N English man pages (bench/kb.py)")
    parser.add_argument("--debian-packages", type=int, default=0, help="also index N Debian package descriptions")
    parser.add_argument("--repeat", type=int, default=96, help="queries timed per model")
    parser.add_argument("--report-only", action="store_true", help="rewrite kb_languages.md from the .json")
    args = parser.parse_args()
    if args.report_only:
        write_report(json.loads((RESULTS / "kb_languages.json").read_text()))
        return
    setup_django()
    articles = json.loads(FIXTURE.read_text())["articles"]
    extra = {
        "man pages (en)": man_corpus(args.man_pages) if args.man_pages else [],
        "debian packages (en)": debian_corpus(args.debian_packages) if args.debian_packages else [],
    }
    extra = {name: pages for name, pages in extra.items() if pages}
    result: dict[str, Any] = {
        "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores, Python {platform.python_version()}",
        "data": f"{len(articles)} articles in 2 languages ({FIXTURE.name})"
        + "".join(f", {name}: {len(pages)}" for name, pages in extra.items()),
        "models": [bench_model(model, articles, extra, args.repeat) for model in MODELS],
    }
    write_report(result)
    print((RESULTS / "kb_languages.md").read_text())


if __name__ == "__main__":
    main()
