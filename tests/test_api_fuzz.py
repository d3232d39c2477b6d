"""Schemathesis over /api/schema/ with a valid key: no input makes the API answer 5xx (a bounded run)."""

from __future__ import annotations

import os

from django_tenants.utils import tenant_context

from helpdesk.ai import embedder
from tests import apifuzz

# Per operation and mode (valid, invalid data). bench/api_fuzz.py makes a fuller run through this same test
# (API_FUZZ_EXAMPLES, API_FUZZ_REPORT) and writes bench/results/api_fuzz.{json,md}.
EXAMPLES_PER_OPERATION = int(os.environ.get("API_FUZZ_EXAMPLES", "2"))


def test_no_request_makes_the_api_fail(acme):
    from helpdesk.accounts.services import api_key_issue

    embedder()  # load the embedding model before the first request
    apifuzz.seed_api_objects(acme)
    with tenant_context(acme):
        raw_key = api_key_issue(name="fuzz").raw_key
    with apifuzz.connections_kept_open():
        schema = apifuzz.load_schema(raw_key)
        runs = apifuzz.run(schema, raw_key, examples=EXAMPLES_PER_OPERATION)
    if os.environ.get("API_FUZZ_REPORT"):
        apifuzz.write_report(runs, os.environ["API_FUZZ_REPORT"], examples=EXAMPLES_PER_OPERATION)
    assert len(runs) >= 15 and sum(r.calls for r in runs) >= 2 * len(runs)  # every operation was really called
    assert any(200 <= status < 300 for r in runs for status in r.statuses)  # and some calls got through
    errors = [error for r in runs for error in r.server_errors]
    assert not errors, "\n".join(errors)
