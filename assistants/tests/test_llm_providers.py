import pytest
from django.test import Client

from assistants.engine.extractive import NO_CONTEXT, ExtractiveProvider
from conftest import ACME_HOST
from helpdesk.ai import (
    ContextChunk,
    Generation,
    GenerationParams,
    GenerationRequest,
    Message,
    ProviderError,
    generate,
    get_provider,
    stream,
)
from helpdesk.ai.providers.ollama import OllamaProvider

CONTEXT = [
    ContextChunk(
        ref=1,
        title="Password reset",
        text="To reset your password, open Settings > Security. "
        "Click Reset password and follow the emailed link. The link expires after 24 hours.",
    ),
    ContextChunk(
        ref=2,
        title="Billing",
        text="Invoices are sent on the first day of each month. You can download them from the Billing page.",
    ),
]
QUESTION = "How do I reset my password?"


def request(**kwargs) -> GenerationRequest:
    defaults = {
        "messages": [
            Message("system", "Answer only from the numbered context and cite it like [1]."),
            Message(
                "user", "Context:\n[1] " + CONTEXT[0].text + "\n[2] " + CONTEXT[1].text + f"\n\nQuestion: {QUESTION}"
            ),
        ],
        "context": CONTEXT,
        "question": QUESTION,
        "params": GenerationParams(max_new_tokens=40, timeout_seconds=30),
    }
    return GenerationRequest(**{**defaults, **kwargs})


# --- extractive --------------------------------------------------------------------------------


def test_extractive_answers_with_the_matching_sentences_and_their_citations():
    text = ExtractiveProvider().generate(request()).text
    assert "reset your password" in text
    assert "[1]" in text
    assert "Invoices" not in text


def test_extractive_without_context_says_it_found_nothing():
    assert ExtractiveProvider().generate(request(context=[])).text == NO_CONTEXT


def test_extractive_stream_adds_up_to_the_answer():
    provider = ExtractiveProvider()
    assert "".join(provider.stream(request())) == provider.answer(request())


# --- transformers (the real default model) -----------------------------------------------------


@pytest.fixture(scope="session")
def smollm2():
    provider = get_provider("transformers")
    assert provider.check() == (True, None), "the default model package must be installed"
    provider.load()  # type: ignore[attr-defined]
    return provider


def test_default_model_generates_an_answer(smollm2):
    generation = smollm2.generate(request())
    assert generation.provider == "transformers"
    assert 0 < generation.tokens <= 40
    assert generation.text
    assert generation.tokens_per_second > 1


def test_default_model_streams_tokens_then_the_result(smollm2):
    events = list(stream(request(params=GenerationParams(max_new_tokens=12)), "transformers"))
    pieces = [e for e in events[:-1] if isinstance(e, str)]
    final = events[-1]
    assert isinstance(final, Generation)
    assert len(pieces) == len(events) - 1 >= 2
    assert final.provider == "transformers" and final.error is None
    assert final.text == "".join(pieces).strip()
    assert final.first_token_ms is not None and final.first_token_ms < final.latency_ms


def test_timeout_falls_back_to_extractive_and_says_so(smollm2):
    slow = request(params=GenerationParams(max_new_tokens=400, timeout_seconds=0.05))
    generation = generate(slow, "transformers")
    assert generation.provider == "extractive"
    assert generation.fallback_from == "transformers"
    assert "longer than" in (generation.error or "")
    assert "[1]" in generation.text


def test_missing_model_falls_back_with_the_reason(settings, tmp_path):
    settings.LLM_MODEL = str(tmp_path / "nowhere.gguf")
    generation = generate(request(), "transformers")
    assert generation.provider == "extractive"
    assert "does not exist" in (generation.error or "")
    assert get_provider("transformers").check()[0] is False


# --- llama.cpp (the same GGUF, the default local provider) ------------------------------------


@pytest.fixture(scope="session")
def llamacpp():
    provider = get_provider("llamacpp")
    assert provider.check() == (True, None), "llama-cpp-python and the default model package must be installed"
    return provider


def test_llamacpp_generates_and_counts_tokens(llamacpp):
    generation = llamacpp.generate(request())
    assert generation.provider == "llamacpp"
    assert generation.text and 0 < generation.tokens <= 40


def test_llamacpp_streams_then_the_result(llamacpp):
    events = list(stream(request(params=GenerationParams(max_new_tokens=12)), "llamacpp"))
    final = events[-1]
    assert isinstance(final, Generation) and final.provider == "llamacpp" and final.error is None
    assert final.text == "".join(e for e in events[:-1] if isinstance(e, str)).strip()


def test_llamacpp_timeout_falls_back(llamacpp):
    slow = request(params=GenerationParams(max_new_tokens=400, timeout_seconds=0.01))
    generation = generate(slow, "llamacpp")
    assert (generation.provider, generation.fallback_from) == ("extractive", "llamacpp")
    assert "longer than" in (generation.error or "")


def test_llamacpp_needs_a_gguf_file(settings, tmp_path):
    settings.LLM_MODEL = str(tmp_path)
    ok, error = get_provider("llamacpp").check()
    assert not ok and "is not an existing .gguf file" in (error or "")


# --- ollama (recorded responses of its HTTP API, real client) ----------------------------------


def test_ollama_generates_through_its_chat_api(fake_ollama):
    provider = OllamaProvider(host=fake_ollama.url, model="qwen2.5:3b")
    generation = provider.generate(request())
    assert generation.text.startswith("Open Settings > Security")
    assert generation.tokens == 21
    sent = fake_ollama.requests[0]
    assert sent["stream"] is False
    assert sent["options"]["num_predict"] == 40
    assert sent["messages"][0]["role"] == "system"


def test_ollama_streams_pieces(fake_ollama):
    provider = OllamaProvider(host=fake_ollama.url, model="qwen2.5:3b")
    assert list(provider.stream(request())) == ["Open", " Settings", " > Security", " [1]."]


def test_ollama_check_reports_a_model_that_is_not_pulled(fake_ollama):
    assert OllamaProvider(host=fake_ollama.url, model="qwen2.5:3b").check() == (True, None)
    ok, error = OllamaProvider(host=fake_ollama.url, model="llama9").check()
    assert not ok and "ollama pull llama9" in (error or "")


def test_ollama_errors_become_provider_errors(fake_ollama):
    with pytest.raises(ProviderError, match="answered 404"):
        OllamaProvider(host=fake_ollama.url, model="llama9").generate(request())
    with pytest.raises(ProviderError, match="unreachable"):
        OllamaProvider(host="http://127.0.0.1:9", model="qwen2.5:3b").generate(request())


def test_ollama_timeout_falls_back(fake_ollama, settings):
    fake_ollama.delay_seconds = 1.0
    settings.OLLAMA_HOST, settings.OLLAMA_MODEL = fake_ollama.url, "qwen2.5:3b"
    generation = generate(request(params=GenerationParams(timeout_seconds=0.2)), "ollama")
    assert generation.provider == "extractive" and generation.fallback_from == "ollama"


def test_unknown_provider_is_a_clear_error():
    with pytest.raises(ProviderError, match="choose one of"):
        get_provider("gpt")


# --- health and metrics ------------------------------------------------------------------------


def test_llm_shows_in_health_deps(db, settings, fake_ollama):
    settings.LLM_PROVIDER, settings.OLLAMA_HOST, settings.OLLAMA_MODEL = "ollama", fake_ollama.url, "llama9"
    settings.METRICS_TOKEN = "ops"  # the error text is for operators
    body = Client(HTTP_HOST=ACME_HOST).get("/health/deps", headers={"Authorization": "Bearer ops"}).json()
    assert body["llm"]["ok"] is False
    assert "not pulled" in body["llm"]["error"]
    assert body["llm"]["required"] is False


def test_llm_metrics_are_exported(db, fake_ollama, settings):
    settings.OLLAMA_HOST, settings.OLLAMA_MODEL = fake_ollama.url, "qwen2.5:3b"
    generate(request(), "ollama")
    generate(request(), "nope")
    text = Client(HTTP_HOST="localhost").get("/metrics").content.decode()  # the operators' host, from 127.0.0.1
    assert 'helpdesk_llm_latency_seconds_count{provider="ollama"}' in text
    assert 'helpdesk_llm_failures_total{provider="nope",reason="ProviderError"}' in text
    assert "helpdesk_llm_tokens_per_second_bucket" in text
