"""Adapters applied per request by llama.cpp and transformers, with no leak between tenants."""

from __future__ import annotations

import pytest

from assistants.lora.tests.conftest import prompt
from helpdesk.ai import GenerationParams, GenerationRequest, get_provider
from helpdesk.ai.providers.llamacpp import LlamaCppProvider

QUESTION = "What are your opening hours?"


def ask(provider: str, adapter: str) -> str:
    request = GenerationRequest(
        messages=prompt(QUESTION),
        params=GenerationParams(max_new_tokens=8, temperature=0.0, timeout_seconds=600),
        adapter=adapter,
    )
    generation = get_provider(provider).generate(request)
    assert generation.adapter == (adapter if adapter else "")
    return generation.text


@pytest.mark.parametrize("provider", ["llamacpp", "transformers"])
def test_each_request_runs_its_own_adapter_and_switching_back_restores_the_base(code_adapters, provider):
    alpha, bravo = str(code_adapters["ALPHA"]), str(code_adapters["BRAVO"])
    base = ask(provider, "")
    assert "ALPHA" in ask(provider, alpha)
    assert "BRAVO" in ask(provider, bravo)
    assert ask(provider, "") == base  # no adapter (nor its cached prompt state) is left behind
    assert "ALPHA" not in base and "BRAVO" not in base
    assert "ALPHA" in ask(provider, alpha)


def test_llamacpp_keeps_a_bounded_lru_of_adapters(code_adapters, settings):
    provider = LlamaCppProvider(model="", adapter_cache=1)
    request = GenerationRequest(
        messages=prompt(QUESTION),
        params=GenerationParams(max_new_tokens=6, timeout_seconds=600),
    )
    for word in ("ALPHA", "BRAVO", "ALPHA"):
        text = provider.generate(GenerationRequest(**{**request.__dict__, "adapter": str(code_adapters[word])})).text
        assert word in text
        assert list(provider._adapters) == [str(code_adapters[word])]  # the other one was freed


def test_llamacpp_switching_back_reuses_the_adapters_own_prompt_cache(code_adapters):
    """A/B/A: the third request re-reads almost none of its prompt and answers as the first did."""
    import llama_cpp

    provider = LlamaCppProvider(model="")
    alpha, bravo = str(code_adapters["ALPHA"]), str(code_adapters["BRAVO"])

    def ask_counting(adapter: str) -> tuple[str, int]:
        request = GenerationRequest(
            messages=prompt(QUESTION), params=GenerationParams(max_new_tokens=8, temperature=0.0), adapter=adapter
        )
        llm = provider.load()
        llama_cpp.llama_perf_context_reset(llm.ctx)
        text = provider.generate(request).text
        return text, llama_cpp.llama_perf_context(llm.ctx).n_p_eval

    first, prompt_tokens = ask_counting(alpha)
    assert "ALPHA" in first and prompt_tokens > 20
    assert "BRAVO" in ask_counting(bravo)[0]
    again, reread = ask_counting(alpha)
    assert again == first
    assert reread <= 2  # the last prompt token is replayed for fresh logits; the rest comes from ALPHA's cache


def test_llamacpp_without_a_prompt_cache_budget_rereads_the_prompt_after_a_switch(code_adapters):
    import llama_cpp

    provider = LlamaCppProvider(model="", state_cache_bytes=0)
    alpha, bravo = str(code_adapters["ALPHA"]), str(code_adapters["BRAVO"])
    texts = []
    for adapter in (alpha, bravo, alpha):
        request = GenerationRequest(
            messages=prompt(QUESTION), params=GenerationParams(max_new_tokens=8, temperature=0.0), adapter=adapter
        )
        llm = provider.load()
        llama_cpp.llama_perf_context_reset(llm.ctx)
        texts.append(provider.generate(request).text)
    assert texts[0] == texts[2] and "BRAVO" in texts[1]
    assert llama_cpp.llama_perf_context(llm.ctx).n_p_eval > 20 and not provider._saved
