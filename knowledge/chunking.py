"""Structure-aware chunking measured in tokens of the embedding model's tokenizer.

A chunk never crosses a section (heading) boundary. Inside a section, whole
paragraphs are packed up to ``size`` tokens; a paragraph that is too long is
cut at sentence ends, and a sentence that is still too long into token windows.
Consecutive chunks of one section share up to ``overlap`` tokens: the last
sentences of the previous chunk open the next one.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from knowledge.extract import Section

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_WHITESPACE = re.compile(r"\s+")

TokenCounter = Callable[[Sequence[str]], list[int]]
TokenWindows = Callable[[str, int, int], list[str]]


@dataclass
class ChunkDraft:
    position: int
    heading: str
    text: str
    token_count: int
    metadata: dict[str, object] = field(default_factory=dict)

    @property
    def embed_text(self) -> str:
        """What the model sees: the heading path gives a paragraph its context."""
        return f"{self.heading}\n{self.text}" if self.heading else self.text

    @property
    def sha256(self) -> str:
        return text_sha256(self.embed_text)


def normalise(text: str) -> str:
    """Unicode NFC, whitespace collapsed: edits to spacing alone do not re-embed a chunk."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def text_sha256(text: str) -> str:
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


def split_sentences(paragraph: str) -> list[str]:
    return [s for s in (part.strip() for part in _SENTENCE_END.split(paragraph)) if s]


class Chunker:
    def __init__(self, *, size: int, overlap: int, count_tokens: TokenCounter, token_windows: TokenWindows) -> None:
        if size < 8:
            raise ValueError("chunk size must be at least 8 tokens")
        self.size = size
        self.overlap = min(overlap, size // 2)
        self.count_tokens = count_tokens
        self.token_windows = token_windows

    def chunk(self, sections: Sequence[Section]) -> list[ChunkDraft]:
        drafts: list[ChunkDraft] = []
        for section in sections:
            for text in self._section_chunks(section):
                drafts.append(ChunkDraft(len(drafts), section.heading, text, 0, dict(section.metadata)))
        # Drop repeats (a footer on every page): a chunk is identified by its text within a document.
        seen: set[str] = set()
        unique = []
        for draft in drafts:
            if draft.sha256 not in seen:
                seen.add(draft.sha256)
                unique.append(draft)
        for position, (draft, tokens) in enumerate(
            zip(unique, self.count_tokens([d.embed_text for d in unique]), strict=True)
        ):
            draft.position, draft.token_count = position, tokens
        return unique

    def _units(self, paragraphs: Sequence[str], budget: int) -> list[tuple[str, int]]:
        """Paragraphs, or their sentences (or token windows) where a paragraph exceeds the budget."""
        units: list[tuple[str, int]] = []
        for paragraph, tokens in zip(paragraphs, self.count_tokens(paragraphs), strict=True):
            if tokens <= budget:
                units.append((paragraph, tokens))
                continue
            sentences = split_sentences(paragraph)
            for sentence, sentence_tokens in zip(sentences, self.count_tokens(sentences), strict=True):
                if sentence_tokens <= budget:
                    units.append((sentence, sentence_tokens))
                else:
                    windows = self.token_windows(sentence, budget, self.overlap)
                    units.extend(zip(windows, self.count_tokens(windows), strict=True))
        return units

    def _section_chunks(self, section: Section) -> list[str]:
        heading_tokens = self.count_tokens([section.heading])[0] if section.heading else 0
        budget = max(self.size - heading_tokens, self.size // 2)
        units = self._units(section.paragraphs, budget)
        chunks: list[str] = []
        current: list[tuple[str, int]] = []
        fresh = 0  # units in `current` that are not overlap carried from the previous chunk
        for unit in units:
            if current and sum(t for _, t in current) + unit[1] > budget:
                chunks.append("\n\n".join(text for text, _ in current))
                current = self._overlap_tail(current, budget - unit[1])
                fresh = 0
            current.append(unit)
            fresh += 1
        if current and fresh:
            chunks.append("\n\n".join(text for text, _ in current))
        return chunks

    def _overlap_tail(self, units: list[tuple[str, int]], room: int) -> list[tuple[str, int]]:
        """The last sentences of ``units`` that fit in the overlap (and in the room left)."""
        limit = min(self.overlap, room)
        if limit <= 0:
            return []
        sentences = split_sentences(units[-1][0])
        tail: list[str] = []
        total = 0
        for sentence, tokens in zip(reversed(sentences), reversed(self.count_tokens(sentences)), strict=True):
            if total + tokens > limit:
                break
            tail.insert(0, sentence)
            total += tokens
        return [(" ".join(tail), total)] if tail else []
