"""Grounded Q/A pairs from the knowledge base: questions from headings and sentences, cited quotes as answers.

No model writes them: a help-center chunk already says "To reset your password, open …" or
"If the email does not arrive, check …", and those turn into the questions customers ask.
The answer quotes the chunk's own sentences and cites it as [1], the chunk being the numbered
context of the prompt, so the adapter learns the verified, cited style of the grounded answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_noop

from assistants.lora.sources.base import Pair
from assistants.models import Assistant
from knowledge.models import Chunk, Document

QUESTIONS_PER_CHUNK = 4
CONTEXT_CHARS = 700  # the chunk text in the prompt, around the quoted sentences
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_MARKUP = re.compile(r"^#+\s*|\*\*|__|`")
_PERSON = {"your": "my", "you": "me", "yours": "mine", "you're": "I'm", "yourself": "myself"}
# Verbs that start instructions in help articles ("Turn on 2FA under …", "Reset your password").
_VERBS = set(
    [
        "add",
        "allow",
        "cancel",
        "change",
        "check",
        "choose",
        "click",
        "configure",
        "connect",
        "contact",
        "create",
        "delete",
        "disable",
        "download",
        "edit",
        "enable",
        "enter",
        "export",
        "find",
        "get",
        "import",
        "install",
        "invite",
        "log",
        "manage",
        "move",
        "open",
        "pay",
        "pick",
        "recover",
        "remove",
        "renew",
        "request",
        "reset",
        "restore",
        "return",
        "save",
        "search",
        "select",
        "send",
        "set",
        "sign",
        "switch",
        "track",
        "transfer",
        "turn",
        "update",
        "upgrade",
        "upload",
        "use",
        "verify",
        "view",
    ]
)
_TAIL = re.compile(r"\s+(?:under|in|from|with|on|at|via|through|by|using|and|then)\s+.*$|[,:;(].*$", re.IGNORECASE)
_WH = {"what", "how", "why", "when", "where", "which", "who", "can", "do", "does", "is", "are", "как", "что", "почему"}
_IF = re.compile(r"^(if|when)\s+(.{6,120}?),\s+(.+)$", re.IGNORECASE)
_TO = re.compile(r"^to\s+(.{4,100}?),\s+(.+)$", re.IGNORECASE)


def _person(text: str) -> str:
    """Turn the article's "you" into the customer's "I" ("reset your password" → "reset my password")."""
    text = re.sub(r"(^|\b(?:if|when|that|and|or|before|after|until|once|so)\s+|,\s+)you\b", r"\1I", text, flags=re.I)
    return re.sub(r"\b(your|you're|yourself|yours|you)\b", lambda m: _PERSON[m.group(1).lower()], text, flags=re.I)


def _clean(text: str) -> str:
    return " ".join(_MARKUP.sub("", line).strip() for line in text.splitlines() if line.strip()).strip()


def sentences(text: str) -> list[str]:
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [s.strip() for s in _SENTENCE.split(_clean("\n".join(lines))) if len(s.strip()) > 15]


def heading_question(heading: str) -> str:
    heading = _clean(heading).rstrip(".:")
    if not heading:
        return ""
    if heading.endswith("?"):
        return heading
    words = heading.split()
    first = words[0].lower()
    lowered = heading[0].lower() + heading[1:]
    if first in _WH:
        return f"{heading}?"
    if first in _VERBS and not (len(words) > 1 and words[1].lower() == "of"):
        return f"How do I {_person(lowered)}?"
    if first in {"the", "my", "your"} and re.search(r"\b(not|cannot|can't|won't|doesn't|isn't)\b", heading):
        return f"What can I do if {_person(lowered)}?"
    return f"{heading}?"  # a topic, the way customers often type it: "Refund policy?", "Lost phone?"


def sentence_question(sentence: str) -> str:
    """A question that this sentence answers, or "" when none of the patterns fits."""
    if (match := _IF.match(sentence)) and not match.group(3)[:1].isdigit():
        return f"What should I do {match.group(1).lower()} {_person(match.group(2))}?"
    if match := _TO.match(sentence):
        return f"How do I {_person(match.group(1))}?"
    words = sentence.split()
    if words and words[0].lower() in _VERBS:
        action = _TAIL.sub("", sentence).rstrip(".!")
        if len(action.split()) >= 2:
            return f"How do I {_person(action[0].lower() + action[1:])}?"
    return ""


def _window(text: str, quote: str) -> str:
    """The chunk text around ``quote``, at most CONTEXT_CHARS long, cut at sentence ends."""
    if len(text) <= CONTEXT_CHARS:
        return text
    parts = sentences(text)
    index = next((i for i, s in enumerate(parts) if quote.startswith(s) or s.startswith(quote[:40])), 0)
    kept = [parts[index]]
    before, after = index - 1, index + 1
    while True:
        grown = False
        for position in (after, before):
            if 0 <= position < len(parts) and len(" ".join(kept)) + len(parts[position]) < CONTEXT_CHARS:
                if position == after:
                    kept.append(parts[position])
                    after += 1
                else:
                    kept.insert(0, parts[position])
                    before -= 1
                grown = True
        if not grown:
            return " ".join(kept)


def chunk_pairs(chunk: Chunk, title: str) -> Iterator[Pair]:
    parts = sentences(chunk.text)
    if not parts:
        return
    found: list[tuple[str, str]] = []
    question = heading_question(chunk.heading or title)
    if question:
        found.append((question, " ".join(parts[:2])))
    for index, sentence in enumerate(parts):
        question = sentence_question(sentence)
        if question and question.lower() not in {q.lower() for q, _ in found}:
            follow = parts[index + 1] if index + 1 < len(parts) and len(sentence) < 120 else ""
            found.append((question, f"{sentence} {follow}".strip()))
    for question, quote in found[:QUESTIONS_PER_CHUNK]:
        context = _window(_clean(chunk.text), quote)
        yield Pair(
            question=question,
            answer=" ".join(f"{s} [1]" for s in _SENTENCE.split(quote) if s),
            source=KnowledgePairs.kind,
            group=f"chunk:{chunk.pk}",
            context=((title, context),),
            ref=f"{title} · chunk {chunk.position + 1}",
        )


def _chunks(assistant: Assistant) -> QuerySet[Chunk]:
    chunks = Chunk.objects.filter(
        archived=False, document__archived=False, document__status=Document.Status.INDEXED
    ).select_related("document")
    if assistant.tag_filters:
        chunks = chunks.filter(tags__overlap=assistant.tag_filters)
    return chunks.defer("embedding", "search_vector").order_by("document_id", "position")


class KnowledgePairs:
    kind = "knowledge"
    label = gettext_noop("Questions from the knowledge base")
    help = (
        "Questions made from the headings and instructions of your articles, answered with cited quotes "
        "of the article: teaches the grounded, cited style."
    )

    def available(self, assistant: Assistant) -> int:
        return sum(1 for chunk in _chunks(assistant) for _ in chunk_pairs(chunk, chunk.document.title))

    def pairs(self, assistant: Assistant, options: dict[str, Any]) -> Iterator[Pair]:
        for chunk in _chunks(assistant).iterator(chunk_size=500):
            yield from chunk_pairs(chunk, chunk.document.title)


SOURCE = KnowledgePairs()
