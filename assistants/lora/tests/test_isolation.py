"""Two tenants, each with its own adapter, answering at the same time: neither ever runs the other's."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django_tenants.utils import tenant_context

from assistants.engine import answer
from assistants.lora.selectors import serving_adapter
from assistants.lora.tests.conftest import install
from knowledge.services import document_create_from_text, document_index

QUESTION = "What are your opening hours?"
HOURS = "Our opening hours are 9:00 to 17:00 from Monday to Friday."


@pytest.fixture
def db(committed):
    """Committed rows (named `db` so that acme, globex… commit too): the answering threads must see them."""
    return


@pytest.mark.parametrize("provider", ["llamacpp", "transformers"])
def test_concurrent_requests_of_two_tenants_never_run_each_others_adapter(
    code_adapters, acme, globex, assistant_in, media_cleanup, provider, settings
):
    """acme answers with ALPHA, globex with BRAVO; their requests race on the same provider instance."""
    settings.LLM_TIMEOUT_SECONDS = 600  # the requests queue for one model; a loaded CI machine is slow
    bots = {}
    for tenant, word in ((acme, "ALPHA"), (globex, "BRAVO")):
        bot = assistant_in(tenant, provider=provider, max_new_tokens=8, temperature=0.0)
        with tenant_context(tenant):
            install(code_adapters[word], bot)
            assert serving_adapter(bot)[1] == "v1"
            # Knowledge that answers the question: without it the assistant declines and asks no model.
            hours = document_create_from_text(title="Hours", text=HOURS, enqueue=False)
            document_index(document_id=hours.pk)
        bots[tenant.schema_name] = bot

    def run(schema: str) -> tuple[str, str, str]:
        tenant = acme if schema == "acme" else globex
        try:
            with tenant_context(tenant):
                # compose: the model writes freely, so its raw output shows which adapter ran (verification
                # then drops the code words from what a customer would read).
                result = answer(assistant=bots[schema], question=QUESTION, strategy="compose")
                return schema, f"{result.model_text} ({result.fallback_from}: {result.error})", result.adapter
        finally:
            connections.close_all()

    order = ["acme", "globex"] * 4
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(run, order))
    for schema, text, label in results:
        mine, theirs = ("ALPHA", "BRAVO") if schema == "acme" else ("BRAVO", "ALPHA")
        assert mine in text and theirs not in text, (schema, text)
        assert label == "v1"


def test_an_adapter_path_of_another_tenant_is_never_served(code_adapters, acme, globex, assistant_in, media_cleanup):
    acme_bot = assistant_in(acme)
    with tenant_context(acme):
        adapter = install(code_adapters["ALPHA"], acme_bot)
        assert serving_adapter(acme_bot)[0].endswith(adapter.relative_dir)
    globex_bot = assistant_in(globex)
    with tenant_context(globex):
        globex_bot.adapter = adapter.relative_dir  # even a copied setting finds no version row here
        globex_bot.save(update_fields=["adapter"])
        assert serving_adapter(globex_bot) == ("", "")
        globex_bot.adapter = "../../acme/" + adapter.relative_dir
        assert serving_adapter(globex_bot) == ("", "")
