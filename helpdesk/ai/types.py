"""The types every LLM provider and caller shares: requests, messages, context chunks, results."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, Protocol

Role = Literal["system", "user", "assistant"]


class ProviderError(RuntimeError):
    """A provider could not answer (unreachable, timed out, model missing); the message says why."""


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True)
class ContextChunk:
    """A retrieved passage, numbered [ref] in the prompt; the fallback (extractive) provider answers from these."""

    ref: int
    text: str
    title: str = ""
    heading: str = ""  # the section path of the chunk in its document ("Warranty > What is not covered")


@dataclass(frozen=True)
class GenerationParams:
    max_new_tokens: int = 128
    temperature: float = 0.0
    top_p: float = 0.9
    timeout_seconds: float = 30.0


@dataclass(frozen=True)
class GenerationRequest:
    messages: list[Message]
    context: list[ContextChunk] = field(default_factory=list)
    question: str = ""  # the user's question on its own, for providers that do not read the prompt
    params: GenerationParams = field(default_factory=GenerationParams)
    model: str = ""  # provider-specific model name; empty means the configured default
    adapter: str = ""  # path of a LoRA adapter for providers that support one
    grammar: str = ""  # GBNF the output must follow (llama.cpp); empty: free text
    json_schema: dict[str, object] | None = None  # the same constraint as a JSON schema (Ollama's `format`)


@dataclass(frozen=True)
class Generation:
    text: str
    provider: str
    model: str
    tokens: int
    latency_ms: float
    first_token_ms: float | None = None
    fallback_from: str | None = None  # the provider that failed, when this answer is a fallback
    error: str | None = None  # why that provider failed
    adapter: str = ""  # the LoRA adapter (request.adapter) that was applied; "" for the base model

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / (self.latency_ms / 1000) if self.latency_ms > 0 else 0.0


class Provider(Protocol):
    name: str

    def generate(self, request: GenerationRequest) -> Generation: ...

    def stream(self, request: GenerationRequest) -> Iterator[str]: ...

    def check(self) -> tuple[bool, str | None]:
        """Whether the provider can answer now, without generating (for /health/deps)."""
        ...
