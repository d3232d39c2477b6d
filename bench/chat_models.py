"""The two chat models through llama.cpp: memory of a web process and a worker, load time, first token, tokens/s.

For each role (``web``: the WSGI application and its URLs; ``worker``: the Celery app with every task
module) and each model (SmolLM2-135M for English, Qwen2.5-1.5B for other languages), a fresh process
records its RSS before the model is used, loads the model through the registry (once per process,
lazily), asks a grounded question over three articles in the model's language (cold: the whole
prompt is read), then three more questions over the same articles (the shared prefix is cached),
and records its RSS again. It also checks that every thread gets the same provider (one copy).

    .venv/bin/python bench/chat_models.py [--threads 0]

No database is needed. Writes bench/results/chat_models.json and chat_models.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

ARTICLES = {
    "ru": [
        ("Доставка", "Доставка по Москве занимает 2 рабочих дня. Доставка в другие города занимает до 7 дней."),
        ("Возврат товара", "Вернуть товар можно в течение 14 дней после покупки. Нужен чек или номер заказа."),
        ("Гарантия", "Гарантия на ноутбуки составляет 24 месяца. На аксессуары гарантия 6 месяцев."),
    ],
    "en": [
        ("Delivery", "Delivery within London takes 2 working days. Delivery to other cities takes up to 7 days."),
        ("Returns", "You can return an item within 14 days of purchase. Bring the receipt or the order number."),
        ("Warranty", "Laptops have a warranty of 24 months. Accessories have a warranty of 6 months."),
    ],
}
QUESTIONS = {
    "ru": [
        "Сколько дней можно вернуть товар?",
        "Сколько занимает доставка по Москве?",
        "Какая гарантия на ноутбуки?",
        "Сколько идёт доставка в другие города?",
    ],
    "en": [
        "How many days do I have to return an item?",
        "How long does delivery within London take?",
        "How long is the warranty on laptops?",
        "How long does delivery to other cities take?",
    ],
}
EXPECTED = ["14", "2", "24", "7"]


def _rss_mb() -> float:
    # the parent process only starts children: nothing but the child needs psutil
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def _rss_parts_mb() -> dict[str, int]:
    """RSS split as Linux counts it: anonymous (this process's own) and file pages (the mapped GGUF, shareable)."""
    status = Path("/proc/self/status").read_text().splitlines()
    parts = {line.split(":")[0]: int(line.split()[1]) for line in status if line.startswith(("RssAnon", "RssFile"))}
    return {"anon": round(parts.get("RssAnon", 0) / 1024), "file": round(parts.get("RssFile", 0) / 1024)}


def child(role: str, model: str) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    started = time.perf_counter()
    if role == "web":
        # each role loads what its process loads, in a fresh interpreter: the point of the measurement
        from django.urls import get_resolver

        from helpdesk.wsgi import application

        get_resolver().url_patterns  # noqa: B018 (imports every view module, as the first request does)
        assert application is not None
    else:
        # as the worker does: Django first, then the Celery app and every task module
        import django

        django.setup()
        from helpdesk.celery import app

        app.loader.import_default_modules()
    setup_seconds = time.perf_counter() - started
    rss_before = _rss_mb()

    # after the role's own imports, so that the RSS above is the process's before any model
    from assistants.engine import build_messages
    from helpdesk.ai import ContextChunk, Generation, GenerationParams, GenerationRequest, get_provider, stream
    from helpdesk.ai.chat_models import CHAT_MODELS, QWEN

    language = "ru" if model == QWEN.key else "en"
    started = time.perf_counter()
    provider = get_provider("llamacpp", model)
    provider.load()  # type: ignore[attr-defined]
    load_seconds = time.perf_counter() - started
    rss_loaded = _rss_mb()

    same: list[bool] = []
    threads = [
        threading.Thread(target=lambda: same.append(get_provider("llamacpp", model) is provider)) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    context = [ContextChunk(ref=i, title=t, text=x) for i, (t, x) in enumerate(ARTICLES[language], start=1)]
    answers = []
    for number, (question, expected) in enumerate(zip(QUESTIONS[language], EXPECTED, strict=True)):
        messages = build_messages(
            policy="You are the support assistant of a shop.",
            tone="concise",
            language=language,
            request_type_prompt="",
            context=context,
            history=[],
            question=question,
        )
        request = GenerationRequest(
            messages=messages,
            context=context,
            question=question,
            params=GenerationParams(max_new_tokens=48, temperature=0.0, timeout_seconds=600),
            model=model,
        )
        final: Generation | None = None
        for event in stream(request, "llamacpp", fallback=False):
            if isinstance(event, Generation):
                final = event
        assert final is not None and final.error is None, final
        answers.append(
            {
                "question": question,
                "cold": number == 0,
                "text": final.text,
                "has_expected_number": expected in final.text,
                "first_token_s": round((final.first_token_ms or 0) / 1000, 2),
                "total_s": round(final.latency_ms / 1000, 2),
                "tokens": final.tokens,
                "tokens_per_second_after_first": round(
                    (final.tokens - 1) / max(1e-6, (final.latency_ms - (final.first_token_ms or 0)) / 1000), 1
                ),
            }
        )
    return {
        "role": role,
        "model": model,
        "label": CHAT_MODELS[model].label,
        "threads": provider.threads,  # type: ignore[attr-defined]
        "setup_seconds": round(setup_seconds, 2),
        "rss_mb_before_first_use": round(rss_before),
        "load_seconds": round(load_seconds, 2),
        "rss_mb_loaded": round(rss_loaded),
        "rss_mb_after_answers": round(_rss_mb()),
        "rss_mb_after_answers_split": _rss_parts_mb(),
        "one_provider_for_every_thread": all(same),
        "answers": answers,
    }


def markdown(runs: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    lines = [
        "# Chat models through llama.cpp: memory, load, speed",
        "",
        f"{meta['when']} · {meta['machine']} · llama.cpp threads {meta['threads']} · load average at start "
        f"{meta['load_average']}. `bench/chat_models.py`; a fresh process per row.",
        "",
        "| role | model | RSS before use | RSS loaded | RSS after 4 answers | load | cold first token / total "
        "| warm first token / total (median) | tokens/s | answers with the article's number | after: anon + file |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for run in runs:
        cold, warm = run["answers"][0], run["answers"][1:]
        warm_first = sorted(a["first_token_s"] for a in warm)[len(warm) // 2]
        warm_total = sorted(a["total_s"] for a in warm)[len(warm) // 2]
        speed = sorted(a["tokens_per_second_after_first"] for a in run["answers"])[len(run["answers"]) // 2]
        right = sum(a["has_expected_number"] for a in run["answers"])
        split = run["rss_mb_after_answers_split"]
        lines.append(
            f"| {run['role']} | {run['label']} | {run['rss_mb_before_first_use']} MB | {run['rss_mb_loaded']} MB "
            f"| {run['rss_mb_after_answers']} MB | {run['load_seconds']} s | {cold['first_token_s']} / "
            f"{cold['total_s']} s | {warm_first} / {warm_total} s | {speed} | {right}/{len(run['answers'])} "
            f"| {split['anon']} + {split['file']} MB |"
        )
    lines += [
        "",
        "RSS counts the model's file pages mapped and touched (llama.cpp memory-maps the GGUF): the *file* part",
        "is shared by every process on the machine through the page cache (and can be dropped and re-read), so two",
        "workers with Qwen do not need twice the file's size of RAM. The *anon* part is each process's own: the",
        "KV cache (4096 tokens), compute buffers, and the weights llama.cpp repacks for the CPU's vector unit.",
        "Each process loads a model on its first use only (RSS before use has none); every thread gets the same",
        "provider, so a process holds at most one copy of each model.",
        "",
        "## Answers",
        "",
    ]
    for run in runs:
        for answer in run["answers"]:
            lines.append(f"- {run['role']} · {run['model']} · {answer['question']} → {answer['text']!r}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=2, metavar=("ROLE", "MODEL"))
    parser.add_argument("--threads", type=int, default=0, help="LLM_THREADS for the children (0: half the cores)")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child), ensure_ascii=False))
        return
    env = {**os.environ, "LLM_THREADS": str(args.threads)}
    load_average = " ".join(f"{x:.1f}" for x in os.getloadavg())
    runs = []
    for role in ("web", "worker"):
        for model in ("smollm2-135m", "qwen2.5-1.5b"):
            done = subprocess.run(  # noqa: S603 (our own interpreter and script)
                [sys.executable, __file__, "--child", role, model],
                capture_output=True,
                text=True,
                env=env,
                check=True,
                cwd=ROOT,
            )
            run = json.loads(done.stdout.strip().splitlines()[-1])
            print(role, model, run["rss_mb_loaded"], "MB", run["load_seconds"], "s", flush=True)
            runs.append(run)
    meta = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "threads": args.threads or "half the cores",
        "load_average": load_average,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "chat_models.json").write_text(json.dumps({"meta": meta, "runs": runs}, ensure_ascii=False, indent=1))
    (RESULTS / "chat_models.md").write_text(markdown(runs, meta))
    print((RESULTS / "chat_models.md").read_text())


if __name__ == "__main__":
    main()
