from prometheus_client import Counter, Histogram

LLM_LATENCY = Histogram(
    "helpdesk_llm_latency_seconds",
    "Time to a complete LLM answer.",
    ["provider"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30, 60),
)
LLM_FIRST_TOKEN = Histogram(
    "helpdesk_llm_first_token_seconds",
    "Time to the first streamed token.",
    ["provider"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10),
)
LLM_TOKENS_PER_SECOND = Histogram(
    "helpdesk_llm_tokens_per_second",
    "Generation speed of complete answers.",
    ["provider"],
    buckets=(1, 5, 10, 20, 40, 80, 160, 320),
)
LLM_FAILURES = Counter("helpdesk_llm_failures_total", "LLM calls that failed.", ["provider", "reason"])
LLM_FALLBACKS = Counter("helpdesk_llm_fallbacks_total", "Answers that fell back to extractive.", ["provider"])


def observe(provider: str, latency_s: float, tokens: int) -> None:
    LLM_LATENCY.labels(provider).observe(latency_s)
    if latency_s > 0 and tokens:
        LLM_TOKENS_PER_SECOND.labels(provider).observe(tokens / latency_s)
