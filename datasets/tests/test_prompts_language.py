"""The pipeline's LLM questions go to the chat model of the tenant's language: Qwen paraphrases Russian rows
in Russian, an English tenant keeps SmolLM2."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django_tenants.utils import schema_context, tenant_context

from datasets.steps import prompts
from helpdesk.ai import chat_models
from helpdesk.tenants.models import Tenant
from helpdesk.tenants.services import tenant_create

CYRILLIC_WORD = re.compile(r"[а-яё]{3,}", re.IGNORECASE)


@pytest.fixture(scope="session")
def russian_tenant(django_db_setup: None, django_db_blocker: Any) -> Tenant:
    with django_db_blocker.unblock():
        return tenant_create(schema_name="rulabel", name="Разметка", language="ru").tenant


def test_the_pipeline_asks_the_model_of_the_tenants_language(russian_tenant, acme, settings):
    settings.DATASETS_LLM_PROVIDER = "llamacpp"
    settings.LLM_MODEL = ""
    with tenant_context(russian_tenant):
        assert prompts.chat_model() == chat_models.QWEN.key
    with tenant_context(acme):
        assert prompts.chat_model() == chat_models.SMOLLM2.key


def test_russian_rows_are_paraphrased_in_russian(russian_tenant, db, settings):
    """Sampled at the augmenter's temperature: a single answer may be unusable (the pipeline then makes
    deterministic variants), so most of three rows must get rewordings, and every rewording is Russian."""
    settings.DATASETS_LLM_PROVIDER = "llamacpp"
    settings.LLM_MODEL = ""
    texts = [
        "Не могу войти в личный кабинет: пишет, что пароль неверный, хотя я его только что сменил.",
        "С карты дважды списали абонентскую плату, верните, пожалуйста, лишний платёж.",
        "Когда приедет мастер подключать интернет? Заявку оставил три дня назад.",
    ]
    budget = prompts.Budget(left=len(texts))
    with tenant_context(russian_tenant):
        variants = [prompts.paraphrase(text, 2, budget) for text in texts]
    assert budget.errors == 0
    assert sum(bool(v) for v in variants) >= 2, variants
    assert all(len(CYRILLIC_WORD.findall(line)) >= 2 for v in variants for line in v), variants


def test_a_worker_under_schema_context_asks_the_same_model(russian_tenant, db, settings):
    """schema_context() puts a stand-in tenant without fields on the connection: the row's language counts."""
    settings.DATASETS_LLM_PROVIDER = "llamacpp"
    settings.LLM_MODEL = ""
    with schema_context(russian_tenant.schema_name):
        assert prompts.chat_model() == chat_models.QWEN.key
