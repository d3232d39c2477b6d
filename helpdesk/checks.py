"""System checks of the deployment (``manage.py check``, ``check --deploy``, and before ``migrate`` and the dev server).

The multilingual chat model is a file assembled from anonymous packages: only its published size and sha256
make it trustworthy, so a missing or different file is said here, before an assistant answers in Russian.

A reverse proxy that ``PROXY_COUNT`` does not account for gives every client the proxy's address: login
lockouts count per user and address, so every visitor's wrong passwords add up against one address and
anyone can lock any user out; limits keyed on the address share one bucket for all visitors.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, register
from django.core.checks import Warning as CheckWarning

from helpdesk.ai.modelfile import QWEN_GGUF, ModelFileError, verify

_CONSEQUENCES = (
    "every client then has the proxy's address. Login lockouts (LOGIN_FAILURE_LIMIT wrong passwords for one "
    "user from one address) count every visitor's failures against that one address, so anyone can lock any "
    "user out; rate limits keyed on the address put all visitors in one bucket. /metrics and /health/deps "
    "details are refused by address to requests that carry X-Forwarded-For (use METRICS_TOKEN)."
)
_HINT = "Set PROXY_COUNT to the number of reverse proxies in front of the app (1 for one nginx, Caddy or Traefik)."


@register(Tags.security)
def proxy_count_behind_tls_proxy(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """BEHIND_TLS_PROXY says a proxy is in front; PROXY_COUNT=0 says there is none."""
    if settings.PROXY_COUNT or not settings.SECURE_PROXY_SSL_HEADER:
        return []
    return [
        CheckWarning(f"BEHIND_TLS_PROXY is on but PROXY_COUNT is 0: {_CONSEQUENCES}", hint=_HINT, id="helpdesk.W030")
    ]


@register(Tags.security, deploy=True)
def proxy_count_in_production(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """In production a proxy is the rule: PROXY_COUNT=0 is worth a word even without BEHIND_TLS_PROXY."""
    if settings.PROXY_COUNT or settings.SECURE_PROXY_SSL_HEADER:
        return []  # set, or the check above says it
    return [
        CheckWarning(
            f"PROXY_COUNT is 0: client addresses are taken from the connection. If a reverse proxy is in front, "
            f"{_CONSEQUENCES}",
            hint=f"{_HINT} If clients connect to the app directly, add helpdesk.W031 to SILENCED_SYSTEM_CHECKS.",
            id="helpdesk.W031",
        )
    ]


@register()
def multilingual_model_file(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """LLM_QWEN_GGUF: the model of every assistant that answers in another language than English (llama.cpp)."""
    try:
        verify(settings.LLM_QWEN_GGUF, QWEN_GGUF)
    except ModelFileError as exc:
        return [
            CheckWarning(
                f"{exc}. Assistants answering in another language than English cannot use it with llama.cpp "
                f"(they answer from the knowledge base's sentences instead).",
                hint="Run make install, or set LLM_QWEN_GGUF to a verified copy of the file.",
                id="helpdesk.W040",
            )
        ]
    return []
