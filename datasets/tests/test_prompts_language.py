"""The pipeline's LLM questions go to the chat model of the tenant's language: Qwen paraphrases Russian rows
in Russian, an English tenant keeps SmolLM2."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django_tenants.utils import tenant_context

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


def test_a_russian_row_is_paraphrased_in_russian(russian_tenant, db, settings):
    settings.DATASETS_LLM_PROVIDER = "llamacpp"
    settings.LLM_MODEL = ""
    text = "Не могу войти в личный кабинет: пишет, что пароль неверный, хотя я его только что сменил."
    with tenant_context(russian_tenant):
        variants = prompts.paraphrase(text, 2, prompts.Budget(left=1))
    assert variants, "Qwen gave no usable rewording"
    assert all(len(CYRILLIC_WORD.findall(v)) >= 2 for v in variants), variants
