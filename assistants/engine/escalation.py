"""Whether a person should take over: rules first, then how weak the grounding is.

A request type forces an escalation only when the classifier is confident of it; an
uncertain type is a suggestion and escalates nothing on its own.
"""

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
    type_certain: bool = True,
    declined: bool = False,
    cited: bool = True,
) -> EscalationDecision:
    reasons: list[str] = []
    lowered = text.lower()
    hits = [k for k in keywords if k.strip() and re.search(rf"\b{re.escape(k.strip().lower())}\b", lowered)]
    if hits:
        reasons.append(f"mentions {', '.join(repr(h) for h in hits)}")
    if request_type in always_escalate_types and type_certain:
        reasons.append(f"{request_type} requests always go to a person ({classifier_confidence:.0%} sure)")
    if best_similarity is None:
        reasons.append("no knowledge matches the question")
    elif best_similarity < min_similarity:
        reasons.append(f"best knowledge match is weak ({best_similarity:.2f} < {min_similarity:.2f})")
    elif declined:
        reasons.append("the knowledge base does not answer this")
    elif not cited:
        reasons.append("the draft cites no knowledge")
    return EscalationDecision(escalate=bool(reasons), reasons=reasons)
