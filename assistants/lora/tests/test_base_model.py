"""An adapter is applied only on the model it was trained on: SmolLM2 adapters never run on Qwen2.5."""

from __future__ import annotations

import shutil

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_tenants.utils import tenant_context

from assistants.lora import services
from assistants.lora.models import Adapter, Status
from assistants.lora.selectors import adapter_dir, serving_adapter
from assistants.lora.tests.conftest import prompt
from helpdesk.ai import GenerationParams, GenerationRequest, ProviderError, generate
from helpdesk.ai.chat_models import QWEN, SMOLLM2

QUESTIONS = {"en": "What are your opening hours?", "ru": "Когда вы открыты?"}


def trained(assistant, source, number: int = 1) -> Adapter:
    """A ready version holding a real adapter trained on SmolLM2 (what training records as its base)."""
    adapter = Adapter.objects.create(
        assistant=assistant,
        number=number,
        status=Status.READY,
        in_flight=False,
        base_model="smollm2-135m-instruct.q4_1",
        metrics={"heldout_loss": {"before": 3.0, "after": 1.0}},
    )
    shutil.copytree(source, adapter_dir(adapter))
    return adapter


@pytest.mark.parametrize("language", ["en", "ru"])
def test_llamacpp_refuses_a_smollm2_adapter_on_qwen_and_applies_it_on_smollm2(code_adapters, language):
    alpha = str(code_adapters["ALPHA"])
    params = GenerationParams(max_new_tokens=6, temperature=0.0, timeout_seconds=600)
    on_qwen = GenerationRequest(messages=prompt(QUESTIONS[language]), params=params, adapter=alpha, model=QWEN.key)
    with pytest.raises(ProviderError, match=r"was trained on smollm2-135m-instruct\.q4_1 and is applied only on that"):
        generate(on_qwen, "llamacpp", fallback=False)
    on_smollm2 = GenerationRequest(
        messages=prompt(QUESTIONS[language]), params=params, adapter=alpha, model=SMOLLM2.key
    )
    generation = generate(on_smollm2, "llamacpp", fallback=False)
    assert generation.adapter == alpha and "ALPHA" in generation.text


def test_a_russian_assistant_refuses_a_smollm2_adapter_an_english_one_takes_it(
    acme, assistant_in, manager, manager_client, code_adapters, media_cleanup
):
    english = assistant_in(acme, "Support", language="en", provider="llamacpp")
    russian = assistant_in(acme, "Поддержка", language="ru", provider="llamacpp")
    with tenant_context(acme):
        for_english = trained(english, code_adapters["ALPHA"])
        for_russian = trained(russian, code_adapters["ALPHA"])
        services.adapter_activate(adapter=for_english, by=manager)
        assert serving_adapter(english)[1] == "v1"
        with pytest.raises(ValidationError, match=r"answers with Qwen2\.5-Coder-1\.5B-Instruct"):
            services.adapter_activate(adapter=for_russian, by=manager)
        # Activated before the assistant switched language: kept, but never served on the other model.
        russian.adapter = for_russian.relative_dir
        russian.save(update_fields=["adapter"])
        assert serving_adapter(russian) == ("", "")
    page = manager_client.get(reverse("lora:list", args=[russian.pk])).content.decode()
    assert "v1 is active but not applied" in page and "GPU worker" in page
