"""Quality control of synthetic variants: a clean customer message, close enough in meaning, reworded.

A variant is dropped when it carries leftovers of the instruction that made it (``Rewritten:``,
``Original:``, ``Reversed sentence:``, ``The customer message is:``, «Перефразировано:», quotes around
the whole text) or speaks in an agent's voice where its original did not ("I'm sorry…, but I'm unable
to…", "We apologise", «Мы приносим извинения…»). Otherwise it is kept only if its cosine similarity
to the original lies in (``DATASETS_QC_MIN_SIMILARITY``, ``DATASETS_QC_MAX_SIMILARITY``) and its Levenshtein distance
(rapidfuzz) is at least ``DATASETS_QC_MIN_EDITS`` edits and at most ``DATASETS_QC_MAX_EDIT_SHARE``
of the original's length. The first failed rule is the variant's rejection reason; every
failed rule is counted too, overall and per generator.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from django.conf import settings
from django.utils.translation import gettext_noop
from rapidfuzz.distance import Levenshtein

from datasets.models import Row
from datasets.steps.base import Counts, StepContext, embed_in_batches, save_rows

RULES = ("empty", "instruction_leftover", "agent_voice", "duplicate", "too_similar", "too_different",
         "too_few_edits", "too_many_edits")  # fmt: skip

_LEFTOVER = re.compile(
    r"^\s*(\d+[.)]\s*)?(rewritten|original|reversed( sentence)?|paraphrased?|paraphrase|variant|version|rewrite|"
    r"here is|here's|the customer message is|customer message|message|output|answer|sure|certainly|"
    r"перефразировано|перефразированн\w*|переписано|оригинал|исходное сообщение|вариант|сообщение клиента|"
    r"вот (перефразированн\w*|вариант\w*)|ответ)\b[^:\n]{0,40}:"
    r"|\b(rewritten|original|reversed sentence|the customer message is|перефразировано|оригинал)\s*:",
    re.IGNORECASE,
)
_QUOTES = ('"', "'", "«", "“", "„", "‘")
_AGENT = re.compile(
    r"\b(i'?m|i am|we'?re|we are) (so |very |truly )?sorry\b[^.!?]*\b(but|unable|can(no|')?t|not able)\b"
    r"|\b(i|we) (am|are|'m|'re) (unable|not able) to\b|\bwe apologi[sz]e\b|\bas an ai\b"
    r"|\bhow (can|may) (i|we) (help|assist)\b|\b(i|we) (can|will|'ll) (help you|assist you|split your|refund your|"
    r"process your|send you|issue you)\b|\bthank you for (contacting|reaching out)\b"
    r"|(мы )?приносим (свои )?извинения|\bк сожалению, (я|мы) не (можем|могу|в состоянии)\b|\bчем (я )?могу помочь\b"
    r"|\b(мы|я) (можем|могу|готовы|оформим|вернём|вернем) (вам|для вас)\b|\bспасибо за обращение\b",
    re.IGNORECASE,
)


def instruction_leftover(variant: str) -> bool:
    """Whether ``variant`` still carries the words of the instruction or quotes around the whole text."""
    text = variant.strip()
    if _LEFTOVER.search(text):
        return True
    return (
        len(text) > 2
        and text[0] in _QUOTES
        and text[-1] in {'"', "'", "»", "”", "“", "’"}
        and (text.count(text[0]) <= 2 or text[0] == "«")
    )


def agent_voice(original: str, variant: str) -> bool:
    """Whether ``variant`` speaks as a support agent where the customer's ``original`` did not."""
    return bool(_AGENT.search(variant)) and not _AGENT.search(original)


@dataclass(frozen=True)
class Bounds:
    min_similarity: float
    max_similarity: float
    min_edits: int
    max_edit_share: float

    @classmethod
    def from_settings(cls) -> Bounds:
        return cls(
            settings.DATASETS_QC_MIN_SIMILARITY,
            settings.DATASETS_QC_MAX_SIMILARITY,
            settings.DATASETS_QC_MIN_EDITS,
            settings.DATASETS_QC_MAX_EDIT_SHARE,
        )


def failed_rules(original: str, variant: str, similarity: float, bounds: Bounds, *, duplicate: bool) -> list[str]:
    """Every rule ``variant`` breaks, in the order of ``RULES`` (empty: it is kept)."""
    if not variant.strip():
        return ["empty"]
    failed = []
    if instruction_leftover(variant):
        failed.append("instruction_leftover")
    if agent_voice(original, variant):
        failed.append("agent_voice")
    if duplicate:
        failed.append("duplicate")
    if similarity >= bounds.max_similarity:
        failed.append("too_similar")
    if similarity <= bounds.min_similarity:
        failed.append("too_different")
    edits = Levenshtein.distance(original, variant)
    if edits < bounds.min_edits:
        failed.append("too_few_edits")
    if edits > bounds.max_edit_share * len(original):
        failed.append("too_many_edits")
    return failed


class QualityStep:
    name: ClassVar[str] = "quality"
    title: ClassVar[str] = gettext_noop("Quality control")

    def able_to_run(self, context: StepContext) -> bool:
        return context.options.augment

    def run(self, context: StepContext) -> Counts:
        bounds = Bounds.from_settings()
        candidates = list(
            Row.objects.filter(run=context.run, status=Row.Status.CANDIDATE)
            .select_related("parent")
            .order_by("position")
        )
        seen = set(Row.objects.filter(run=context.run, source=Row.Source.ORIGINAL).values_list("text_hash", flat=True))
        vectors = embed_in_batches(context, [row.text or " " for row in candidates])
        reasons: dict[str, int] = dict.fromkeys(RULES, 0)
        failures: dict[str, int] = dict.fromkeys(RULES, 0)
        per_generator: dict[str, dict[str, Any]] = defaultdict(
            lambda: {"made": 0, "kept": 0, **dict.fromkeys(RULES, 0)}
        )
        kept = 0
        for row, vector in zip(candidates, vectors, strict=True):
            parent = row.parent
            assert parent is not None
            if parent.embedding is None or parent.embedding_model != context.embedding_model:
                parent.embedding = context.embed([parent.text])[0]  # stored by a run of another model
            similarity = float(np.dot(vector, np.asarray(parent.embedding, dtype=np.float32)))
            failed = failed_rules(parent.text, row.text, similarity, bounds, duplicate=row.text_hash in seen)
            stats = per_generator[row.generator]
            stats["made"] += 1
            row.embedding = vector
            row.embedding_model = context.embedding_model
            row.confidence = round(similarity, 4)  # until relabeling: the similarity to the original
            if failed:
                row.status, row.qc_reason = Row.Status.REJECTED, failed[0]
                reasons[failed[0]] += 1
                for rule in failed:
                    failures[rule] += 1
                    stats[rule] += 1
            else:
                seen.add(row.text_hash)
                stats["kept"] += 1
                kept += 1
        save_rows(candidates, ["embedding", "embedding_model", "status", "qc_reason", "confidence"])
        return {"rows": len(candidates), "checked": len(candidates), "kept": kept, "rejected": len(candidates) - kept,
                "reasons": reasons, "failed_rules": failures, "generators": dict(per_generator)}  # fmt: skip
