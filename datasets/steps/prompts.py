"""The pipeline's two questions to the configured LLM provider: which label, and paraphrases.

Both go through the provider layer (``helpdesk.ai.generate``, without its fallback) with a call
budget per run, asking the chat model of the tenant's language (SmolLM2 for English, Qwen for Russian and
any other language, ``helpdesk.ai.chat_models``) unless the provider has its own configured model.
A failing provider is not fatal: the labeler keeps its own suggestion and the augmenter falls back to
deterministic variants; the counts say how often that happened.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from django.conf import settings

from helpdesk.ai import FALLBACK, GenerationParams, GenerationRequest, Message, chat_models, generate
from helpdesk.tenants.selectors import current_tenant_language

logger = logging.getLogger(__name__)
_WORD = re.compile(r"[\w\-]+", re.UNICODE)
_LIST_MARK = re.compile(r"^\s*(?:[-*•]|\d+[.)]|\(\d+\))\s*")


def provider_name() -> str:
    return settings.DATASETS_LLM_PROVIDER or settings.LLM_PROVIDER


@dataclass
class Budget:
    """How many LLM calls this run may still make, and how they went."""

    left: int
    calls: int = 0
    errors: int = 0

    def take(self) -> bool:
        if self.left <= 0:
            return False
        self.left -= 1
        self.calls += 1
        return True


def chat_model() -> str:
    """The model the pipeline asks: the default of the tenant's language ("" the provider's own)."""
    language = current_tenant_language() or "en"
    return chat_models.model_for(provider=provider_name(), model_name="", language=language)


def available() -> bool:
    return provider_name() != FALLBACK


def _generate(prompt: str, *, max_new_tokens: int, temperature: float = 0.0, system: str = "") -> str | None:
    messages = ([Message("system", system)] if system else []) + [Message("user", prompt)]
    request = GenerationRequest(
        messages=messages,
        model=chat_model(),
        params=GenerationParams(
            max_new_tokens=max_new_tokens, temperature=temperature, timeout_seconds=settings.LLM_TIMEOUT_SECONDS
        ),
    )
    try:
        return generate(request, provider_name(), fallback=False).text
    except Exception as exc:  # any provider failure degrades to the pipeline's own answer
        logger.warning("datasets LLM call failed: %s", exc)
        return None


def ask_label(text: str, labels: list[str], budget: Budget) -> str | None:
    """The label the LLM picks for ``text`` among ``labels`` (None: no budget, no answer, or not a label)."""
    if not labels or not budget.take():
        return None
    options = ", ".join(labels)
    prompt = (
        f"Classify the message into one of these labels: {options}.\nAnswer with the label only.\n\n"
        f"Message: {text[:1000]}"
    )
    answer = _generate(prompt, max_new_tokens=8)
    if answer is None:
        budget.errors += 1
        return None
    lowered = answer.strip().lower()
    by_lower = {label.lower(): label for label in labels}
    if lowered in by_lower:
        return by_lower[lowered]
    for label in sorted(labels, key=len, reverse=True):  # "Label: billing." and the like
        if re.search(rf"(?<!\w){re.escape(label.lower())}(?!\w)", lowered):
            return label
    return None


def _is_russian(text: str) -> bool:
    """Mostly Cyrillic letters: the paraphrase prompt is then written in Russian."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum("\u0400" <= c <= "\u04ff" for c in letters) / len(letters) > 0.5


def paraphrase(text: str, count: int, budget: Budget) -> list[str]:
    """Up to ``count`` rewordings of ``text`` (empty: no budget or no usable answer)."""
    if not budget.take():
        return []
    if _is_russian(text):
        # Asked in English, Qwen translated a Russian message into English even when told its language.
        prompt = (
            f"Перепиши сообщение клиента ниже {count} разными способами, сохранив смысл. Пиши только по-русски, "
            f"по одному варианту в строке, без пояснений.\n\nСообщение: {text[:600]}"
        )
    else:
        prompt = (
            f"Rewrite the customer message below in {count} different ways. Keep its meaning. Write every "
            f"rewrite in the language of the message, one per line, nothing else.\n\nMessage: {text[:600]}"
        )
    answer = _generate(prompt, max_new_tokens=min(60 * count, 400), temperature=0.7)
    if answer is None:
        budget.errors += 1
        return []
    lines = []
    for raw in answer.splitlines():
        line = _LIST_MARK.sub("", raw).strip().strip('"').strip()
        heading = line.endswith(":")  # "Here are two rewrites:", "Варианты:"
        if len(_WORD.findall(line)) >= 2 and not heading and line.lower() != text.lower() and line not in lines:
            lines.append(line)
    return lines[:count]
