"""Schemathesis over the tenant API (/api/schema/) through the WSGI app: shared by the test and the bench run.

The schema is loaded from the running project with a valid API key on a tenant host, and
every request carries that key, so the fuzzer reaches the views rather than the 401.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.core.handlers.wsgi import WSGIHandler

from conftest import ACME_HOST


def seed_api_objects(tenant: Any) -> None:
    """A few objects whose ids the fuzzer may hit (small ids come up often): a ticket, a document, an assistant."""
    from django_tenants.utils import tenant_context

    from assistants.services import assistant_create
    from knowledge import services as kb
    from tickets import services

    with tenant_context(tenant):
        contact = services.contact_ensure(email="fuzz@customer.example", name="Fuzz")
        services.ticket_create(subject="Printer jam", description="It jams.", requester=contact, by=contact)
        kb.document_create_from_text(title="Shipping", text="Parcels ship in a day.", enqueue=False)
        assistant_create(name="Fuzz bot", company="Acme", provider="extractive")


@contextmanager
def connections_kept_open() -> Iterator[None]:
    """As Django's test client does: the WSGI handler must not close the test's connection after a request."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def load_schema(raw_key: str) -> Any:
    import schemathesis

    headers = {"Host": ACME_HOST, "Authorization": f"Api-Key {raw_key}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", WSGIHandler(), headers=headers)
    return schema


def call_headers(raw_key: str) -> dict[str, str]:
    return {"Host": ACME_HOST, "Authorization": f"Api-Key {raw_key}"}


@dataclass
class OperationRun:
    operation: str
    calls: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    server_errors: list[str] = field(default_factory=list)
    unsatisfiable: list[str] = field(default_factory=list)


def _caller(record: OperationRun, raw_key: str) -> Any:
    def call(case: Any) -> None:
        from django.db import DatabaseError, transaction

        # Each call in a savepoint: a database error in one (a 500 worth reporting) must not abort the
        # test's transaction and turn every later call into a 500 too.
        savepoint = transaction.savepoint()
        response = case.call(headers=call_headers(raw_key))
        try:
            transaction.savepoint_commit(savepoint)
        except DatabaseError:
            transaction.savepoint_rollback(savepoint)
        record.calls += 1
        record.statuses[response.status_code] = record.statuses.get(response.status_code, 0) + 1
        if response.status_code >= 500:
            record.server_errors.append(
                f"{case.method} {case.formatted_path} {case.query or ''} {response.status_code}: {response.text[:200]}"
            )

    return call


def run(schema: Any, raw_key: str, *, examples: int, negative: bool = True) -> list[OperationRun]:
    """Call every operation with ``examples`` generated cases per mode (valid data, and invalid data)."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode

    modes = [GenerationMode.POSITIVE, *([GenerationMode.NEGATIVE] if negative else [])]
    runs = []
    for result in schema.get_all_operations():
        operation = result.ok()
        record = OperationRun(operation=f"{operation.method.upper()} {operation.path}")
        for mode in modes:
            call = _caller(record, raw_key)
            test = given(case=operation.as_strategy(generation_mode=mode))(call)
            test = settings(
                max_examples=examples,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )(test)
            try:
                test()
            except Unsatisfiable:  # nothing invalid to generate for this operation (e.g. no parameters)
                record.unsatisfiable.append(mode.value)
        runs.append(record)
    return runs


def write_report(runs: list[OperationRun], stem: str, *, examples: int) -> None:
    """``stem``.json and ``stem``.md: calls and status codes per operation, and every 5xx."""
    import json
    import platform
    from datetime import UTC, datetime
    from pathlib import Path

    import schemathesis

    with open("/proc/loadavg") as fh:
        load = fh.read().split()[:3]
    data = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "schemathesis": schemathesis.__version__,
        "examples_per_operation_and_mode": examples,
        "loadavg": load,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "operations": [
            {
                "operation": r.operation,
                "calls": r.calls,
                "statuses": {str(k): v for k, v in sorted(r.statuses.items())},
                "server_errors": r.server_errors,
                "modes_without_cases": r.unsatisfiable,
            }
            for r in runs
        ],
    }
    Path(f"{stem}.json").write_text(json.dumps(data, indent=2) + "\n")
    total = sum(r.calls for r in runs)
    errors = [e for r in runs for e in r.server_errors]
    lines = [
        "# API fuzzing (schemathesis over /api/schema/)",
        "",
        f"{data['when']}, schemathesis {data['schemathesis']}, {data['machine']}, load average {' '.join(load)}.",
        f"Up to {examples} generated cases per operation for valid data and as many for invalid data, "
        "sent with a valid API key through the WSGI app (`bench/api_fuzz.py`).",
        "",
        f"**{total} requests over {len(runs)} operations, {len(errors)} answered 5xx.**",
        "",
        "| operation | calls | status codes |",
        "| --- | ---: | --- |",
    ]
    for r in runs:
        codes = ", ".join(f"{k}: {v}" for k, v in sorted(r.statuses.items()))
        lines.append(f"| `{r.operation}` | {r.calls} | {codes} |")
    if errors:
        lines += ["", "## 5xx", "", *[f"- {e}" for e in errors]]
    Path(f"{stem}.md").write_text("\n".join(lines) + "\n")
