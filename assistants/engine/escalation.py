"""Whether a person should take over: rules first, then how weak the grounding is.

A request type forces an escalation only when the classifier is confident of it; an
uncertain type is a suggestion and escalates nothing on its own.

A keyword matches as a whole word or phrase; a Russian one also in any of its forms
("юрист" in "с юристом", "отменить договор" in "отмена договора"), by word stems.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from assistants.engine import sentences
from assistants.engine.language import cyrillic_share

# A stem this short is shared by other words ("суд" and "судя", "by the look of it"): then only the endings of a
# noun's cases count as the same word.
SHORT_STEM = 3
_NOUN_ENDINGS = frozenset(
    ["", "а", "у", "ом", "е", "ы", "ов", "ам", "ами", "ах", "ой", "ою", "ей", "и", "ю", "ям", "ях"]
)


def _same_word(word: str, keyword: str) -> bool:
    stem = sentences.stems([keyword], "ru")[0]
    if sentences.stems([word], "ru")[0] != stem:
        return False
    return len(stem) > SHORT_STEM or word.removeprefix(stem) in _NOUN_ENDINGS


def _mentions(lowered: str, keyword: str) -> bool:
    if re.search(rf"\b{re.escape(keyword)}\b", lowered):
        return True
    if cyrillic_share(keyword) < 0.5:
        return False
    wanted, found = sentences.words(keyword), sentences.words(lowered)
    return bool(wanted) and any(
        all(_same_word(w, k) for w, k in zip(found[i : i + len(wanted)], wanted, strict=True))
        for i in range(len(found) - len(wanted) + 1)
    )


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
    hits = [k for k in keywords if k.strip() and _mentions(lowered, k.strip().lower())]
    if hits:
        reasons.append(_("mentions %(keywords)s") % {"keywords": ", ".join(repr(h) for h in hits)})
    if request_type in always_escalate_types and type_certain:
        reasons.append(
            _("%(type)s requests always go to a person (%(confidence)s sure)")
            % {"type": request_type, "confidence": f"{classifier_confidence:.0%}"}
        )
    if best_similarity is None:
        reasons.append(_("no knowledge matches the question"))
    elif best_similarity < min_similarity:
        reasons.append(
            _("best knowledge match is weak (%(best)s < %(minimum)s)")
            % {"best": f"{best_similarity:.2f}", "minimum": f"{min_similarity:.2f}"}
        )
    elif declined:
        reasons.append(_("the knowledge base does not answer this"))
    elif not cited:
        reasons.append(_("the draft cites no knowledge"))
    return EscalationDecision(escalate=bool(reasons), reasons=reasons)
