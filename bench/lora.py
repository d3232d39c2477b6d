"""LoRA adapters on 2 cores: training time, adapter size, load and switch time, speed and quality with and without.

Seeds the demo help center into a tenant of its own, builds 100 grounded pairs from it (the
knowledge source's questions, plus the same questions as customers phrase them, "Hi, …"), trains
3 epochs with the default settings, converts the adapter for llama.cpp, then measures:
seconds per step and wall time; adapter and GGUF sizes; adapter load and switch time (p50/p95);
first token and tokens/s of 128-token answers with and without the adapter (llama.cpp and
transformers); held-out loss drop; answer similarity and grounding with and without.
Targets: 100 pairs x 3 epochs < 5 min; held-out loss -30 %; llama.cpp with the adapter first token
< 1 s and 128 tokens < 3 s; switching < 200 ms p95; grounding with >= without.

    .venv/bin/python bench/lora.py [--pairs 100] [--epochs 3] [--questions 12]

Writes bench/results/lora.json, lora.md and lora_loss.svg.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.template import Context, Template  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from assistants.lora import dataset, evaluation, gguf, training  # noqa: E402
from assistants.lora.charts import loss_chart  # noqa: E402
from assistants.lora.services import base_model_dir  # noqa: E402
from assistants.lora.sources import Pair  # noqa: E402
from assistants.models import Assistant  # noqa: E402
from assistants.services import assistant_create  # noqa: E402
from bench.answer import HELD_OUT, seed, summarise  # noqa: E402
from bench.answer import run as answer_run  # noqa: E402
from helpdesk.ai import GenerationParams, GenerationRequest, get_provider  # noqa: E402
from knowledge.demo import ARTICLES  # noqa: E402

RESULTS = ROOT / "bench" / "results"
PHRASINGS = ("Hi, {q}", "Quick question: {q}", "Hello! {q} Thanks.")
SVG = Template(
    '<svg viewBox="0 0 {{ c.width }} {{ c.height }}" xmlns="http://www.w3.org/2000/svg" font-size="10">'
    '<rect width="100%" height="100%" fill="white"/>'
    '{% for t in c.y_ticks %}<line x1="{{ c.left }}" x2="{{ c.right_edge }}" y1="{{ t.position }}" '
    'y2="{{ t.position }}" stroke="#ddd"/><text x="{{ c.left|add:-4 }}" y="{{ t.position }}" text-anchor="end">'
    "{{ t.label }}</text>{% endfor %}"
    '{% for t in c.x_ticks %}<text x="{{ t.position }}" y="{{ c.height|add:-6 }}" text-anchor="middle">{{ t.label }}'
    "</text>{% endfor %}"
    '<polyline points="{{ c.points }}" fill="none" stroke="#1f6feb" stroke-width="2"/></svg>'
)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


def pairs_for(assistant: Assistant, count: int) -> list[Pair]:
    base = list(dataset.collect(assistant, [{"kind": "knowledge"}]))
    pairs = list(base)
    for phrasing in PHRASINGS:
        for pair in base:
            if len(pairs) >= count:
                return pairs
            question = phrasing.format(q=pair.question[0].lower() + pair.question[1:])
            pairs.append(replace(pair, question=question))
    return pairs[:count]


def speed(provider: str, prompts: list[list[Any]], adapter: str) -> dict[str, float]:
    """128-token answers to different prompts (what llama.cpp has cached is the common prefix, as in use)."""
    first, total, rates = [], [], []
    for messages in prompts:
        request = GenerationRequest(
            messages=messages, params=GenerationParams(max_new_tokens=128, timeout_seconds=300), adapter=adapter
        )
        started = time.perf_counter()
        first_ms, pieces = None, 0
        for _piece in get_provider(provider).stream(request):
            first_ms = first_ms or (time.perf_counter() - started) * 1000
            pieces += 1
        elapsed = time.perf_counter() - started
        first.append(first_ms or elapsed * 1000)
        total.append(elapsed * 1000)
        rates.append(pieces / elapsed if elapsed else 0.0)
    return {
        "first_token_ms_p50": pct(first, 0.5),
        "answer_ms_p50": pct(total, 0.5),
        "tokens_per_second": round(statistics.median(rates), 1),
    }


def switching(provider: str, messages: list[Any], adapters: list[str], rounds: int) -> dict[str, float]:
    """One-token requests on one prompt: changing adapter every time, and staying on the first (the baseline).

    The difference is what a switch costs; the baseline is what any request of that prompt costs.
    """

    def timed(adapter: str) -> float:
        request = GenerationRequest(
            messages=messages, params=GenerationParams(max_new_tokens=1, timeout_seconds=300), adapter=adapter
        )
        started = time.perf_counter()
        get_provider(provider).generate(request)
        return (time.perf_counter() - started) * 1000

    for adapter in adapters:  # every adapter loaded once (first loads are measured on their own)
        timed(adapter)
    switched = [timed(adapters[index % len(adapters)]) for index in range(rounds)]
    same = [timed(adapters[0]) for _ in range(rounds)]
    return {
        "p50_ms": pct(switched, 0.5),
        "p95_ms": pct(switched, 0.95),
        "same_adapter_p50_ms": pct(same, 0.5),
        "same_adapter_p95_ms": pct(same, 0.95),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--questions", type=int, default=12)
    parser.add_argument("--strategies", default="select,compose", help="answer strategies of the grounding table")
    args = parser.parse_args()
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    tenant: Any = seed("bench_helpcenter", HELD_OUT["company"], ARTICLES)  # the demo help center
    report: dict[str, Any] = {"machine": platform.processor() or platform.machine(), "cpus": os.cpu_count()}
    with tenant_context(tenant):
        assistant = Assistant.objects.filter(name="LoRA bench").first() or assistant_create(
            name="LoRA bench", company="Acme", provider="llamacpp"
        )
        pairs = pairs_for(assistant, args.pairs)
        examples, summary = dataset.build(assistant, [], extra=pairs)
        hp = training.Hyperparameters(epochs=args.epochs)
        out = Path(settings.MEDIA_ROOT) / tenant.schema_name / "adapters" / "bench"
        model_dir = base_model_dir()
        started = time.perf_counter()
        result = training.train(
            model_dir=model_dir,
            examples=examples,
            hyperparameters=hp,
            out_dir=out,
            dtype=settings.LORA_DTYPE,
            threads=settings.LORA_THREADS or None,
        )
        wall = time.perf_counter() - started
        converted = time.perf_counter()
        gguf_path = gguf.convert(adapter_dir=out, base_dir=model_dir, tools_dir=settings.LORA_CONVERTER_DIR)
        conversion_s = time.perf_counter() - converted
        losses = result.losses["heldout_loss"]
        drop = (losses["before"] - losses["after"]) / losses["before"] if losses["before"] and losses["after"] else None
        report["training"] = {
            "pairs": len(pairs),
            "train_examples": summary.train,
            "heldout_examples": summary.heldout,
            "epochs": args.epochs,
            "hyperparameters": hp.as_dict(),
            "steps": result.steps,
            "seconds_per_step": result.seconds_per_step,
            "loop_seconds": result.seconds,
            "wall_seconds_incl_load_and_loss_evals": round(wall, 1),
            "tokens": result.train_tokens,
            "truncated_examples": result.truncated,
            "losses": result.losses,
            "heldout_loss_drop": round(drop, 4) if drop is not None else None,
            "conversion_seconds": round(conversion_s, 1),
            "adapter_bytes": sum(p.stat().st_size for p in out.glob("adapter_model.*")),
            "gguf_bytes": gguf_path.stat().st_size,
        }
        chart = loss_chart(result.curve, result.steps)
        (RESULTS / "lora_loss.svg").write_text(SVG.render(Context({"c": chart})))
        messages = examples[0].messages
        prompts = [e.messages for e in examples if e.split != "train"][:3] or [messages]
        report["speed"] = {
            provider: {
                "base": speed(provider, prompts, ""),
                "adapter": speed(provider, prompts, str(out)),
            }
            for provider in ("llamacpp", "transformers")
        }
        second = out.with_name("bench-copy")
        if not second.exists():
            import shutil

            shutil.copytree(out, second)  # a second adapter (same weights, another folder) to switch between
        load_started = time.perf_counter()
        get_provider("llamacpp").generate(
            GenerationRequest(messages=messages, params=GenerationParams(max_new_tokens=1), adapter=str(second))
        )
        report["adapter_first_load_ms"] = round((time.perf_counter() - load_started) * 1000, 1)
        report["switch"] = {
            provider: switching(provider, messages, [str(out), str(second), ""], 30)
            for provider in ("llamacpp", "transformers")
        }
        report["answers"] = evaluation.compare(
            assistant=assistant, examples=examples, adapter_dir=str(out), provider="llamacpp", limit=args.questions
        )
        report["grounding"] = []
        for strategy in args.strategies.split(","):
            for adapter, suffix in (("", ""), (str(out), " + adapter")):
                rows = answer_run("llamacpp", strategy, HELD_OUT, adapter=adapter)
                report["grounding"].append(summarise(f"llamacpp:{strategy}{suffix}", rows))
    report["loadavg"] = {"before": load_before, "after": Path("/proc/loadavg").read_text().split()[:3]}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "lora.json").write_text(json.dumps(report, indent=2, default=str))
    (RESULTS / "lora.md").write_text(markdown(report))
    print(markdown(report))


def markdown(r: dict[str, Any]) -> str:
    t = r["training"]
    lines = [
        "# LoRA adapters (bench/lora.py)",
        "",
        f"{r['cpus']} CPUs; load average before {' '.join(r['loadavg']['before'])}, after "
        f"{' '.join(r['loadavg']['after'])} (other work on the machine makes times noisy; quality is not).",
        "",
        "| training | value | target |",
        "| --- | --- | --- |",
        f"| pairs / train / held out | {t['pairs']} / {t['train_examples']} / {t['heldout_examples']} | |",
        f"| steps (epochs {t['epochs']}, batch {t['hyperparameters']['batch_size']}) | {t['steps']} | |",
        f"| seconds per step | {t['seconds_per_step']} | |",
        f"| training loop | {t['loop_seconds']} s | < 300 s |",
        f"| wall time incl. model load and loss evaluations | {t['wall_seconds_incl_load_and_loss_evals']} s | |",
        f"| held-out loss | {t['losses']['heldout_loss']['before']:.3f} → {t['losses']['heldout_loss']['after']:.3f} "
        f"({t['heldout_loss_drop']:.0%} lower) | ≥ 30 % lower |",
        f"| adapter (safetensors) / GGUF | {t['adapter_bytes'] / 1e6:.1f} MB / {t['gguf_bytes'] / 1e6:.1f} MB | |",
        f"| conversion to GGUF | {t['conversion_seconds']} s | |",
        "",
        "Answers of 128 tokens to 3 different held-out prompts (llama.cpp keeps only their common prefix cached):",
        "",
        "| serving (128 tokens) | first token p50 | answer p50 | tokens/s |",
        "| --- | --- | --- | --- |",
    ]
    for provider, runs in r["speed"].items():
        for kind, s in runs.items():
            lines.append(
                f"| {provider}, {kind} | {s['first_token_ms_p50']} ms | {s['answer_ms_p50']} ms | "
                f"{s['tokens_per_second']} |"
            )
    lines += ["", f"First load of an adapter in llama.cpp (+1 token): {r['adapter_first_load_ms']} ms.", ""]
    lines += [
        "One-token requests on one prompt, changing adapter each time (adapter, copy, base in turn) and staying",
        "on one: the difference is the cost of a switch.",
        "",
        "| switching adapters (+1 token) | switch p50 | switch p95 | no switch p50 | no switch p95 | target |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for provider, s in r["switch"].items():
        lines.append(
            f"| {provider} | {s['p50_ms']} ms | {s['p95_ms']} ms | {s.get('same_adapter_p50_ms', '-')} ms | "
            f"{s.get('same_adapter_p95_ms', '-')} ms | < 200 ms p95 |"
        )
    a = r.get("answers") or {}
    if a:
        g = a["grounding"]
        lines += [
            "",
            f"Answers to {a['questions']} held-out questions through the real answer path ({a['engine']}):",
            "",
            "| | without adapter | with adapter |",
            "| --- | --- | --- |",
            f"| similarity to the reference | {a['similarity']['before']} | {a['similarity']['after']} |",
            f"| cites the source article | {g['before']['cites_source']} | {g['after']['cites_source']} |",
            f"| cites anything | {g['before']['cites_anything']} | {g['after']['cites_anything']} |",
            f"| fell back to extractive | {g['before']['fallback']} | {g['after']['fallback']} |",
        ]
    if r.get("grounding"):
        columns = [("fact_present", "expected fact present"), ("right_article", "right article cited"),
                   ("invented_number_answers", "answers with an invented number"), ("negation_flips", "negation flips"),
                   ("declined_unanswerable", "unanswerable declined"), ("declined_answerable", "answerable declined"),
                   ("fallbacks", "fell back to extractive"), ("total_ms_p50", "full answer p50 ms")]  # fmt: skip
        lines += [
            "",
            f"Grounding table of the answer benchmark (bench/answer.py) on its held-out set, the demo help center "
            f"({len(HELD_OUT['questions'])} questions), without and with the adapter:",
            "",
            "| variant | " + " | ".join(title for _, title in columns) + " |",
            "|---|" + "---|" * len(columns),
        ]
        lines += ["| " + " | ".join([g["variant"]] + [str(g[k]) for k, _ in columns]) + " |" for g in r["grounding"]]
    lines += ["", "Loss curve: ![loss](lora_loss.svg)", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
