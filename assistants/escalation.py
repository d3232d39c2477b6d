"""Whether a person should take over: rules first, then how weak the grounding is, then the classifier."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class EscalationDecision:
    escalate: bool
    reasons: list[str]


def decide(
    *,
    text: str,
    keywords: Sequence[str],
    best_similarity: float | None,
    min_similarity: float,
    request_type: str,
    always_escalate_types: Sequence[str],
    classifier_confidence: float,
    min_confidence: float = 0.5,
    cited: bool = True,
) -> EscalationDecision:
    reasons: list[str] = []
    lowered = text.lower()
    hits = [k for k in keywords if k.strip() and re.search(rf"\b{re.escape(k.strip().lower())}\b", lowered)]
    if hits:
        reasons.append(f"mentions {', '.join(repr(h) for h in hits)}")
    if request_type in always_escalate_types:
        reasons.append(f"{request_type} requests always go to a person")
    if best_similarity is None:
        reasons.append("no knowledge matches the question")
    elif best_similarity < min_similarity:
        reasons.append(f"best knowledge match is weak ({best_similarity:.2f} < {min_similarity:.2f})")
    elif not cited:
        reasons.append("the draft cites no knowledge")
    if classifier_confidence < min_confidence:
        reasons.append(f"unsure what kind of request this is ({classifier_confidence:.0%})")
    return EscalationDecision(escalate=bool(reasons), reasons=reasons)
