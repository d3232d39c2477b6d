"""Augmenter: synthetic variants of confident rows, through the LLM and cheap deterministic edits.

The LLM paraphrases up to ``DATASETS_AUGMENT_LLM_ROWS`` rows per run, picked round-robin over the
labels, smallest label first (so rare labels gain the most). Every other row, and every
paraphrase the model failed to give, gets deterministic variants. Each variant records its
generator, so quality control can tell which kinds survive.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Callable
from typing import ClassVar

from django.conf import settings
from django.utils.translation import gettext_noop

from datasets.models import Row
from datasets.steps import prompts
from datasets.steps.base import Counts, StepContext
from datasets.text import normalise, text_hash

_WORDS = re.compile(r"\S+")
GREETINGS = ("Hi,", "Hello,", "Hey there,", "Good morning,", "Hi team,")
CLOSINGS = ("Thanks.", "Thank you!", "Any help is appreciated.", "Please advise.", "Thanks in advance.")
FILLERS = ("please", "really", "actually", "just", "again")
EXPANSIONS = {"can't": "cannot", "won't": "will not", "don't": "do not", "doesn't": "does not",
              "i'm": "I am", "it's": "it is", "isn't": "is not", "didn't": "did not", "i've": "I have",
              "wasn't": "was not"}  # fmt: skip
KEYBOARD = {"a": "s", "s": "a", "e": "r", "r": "e", "i": "o", "o": "i", "n": "m", "m": "n", "t": "y",
            "u": "y", "l": "k", "d": "f", "c": "v", "h": "j", "g": "h", "p": "o"}  # fmt: skip


def polite(text: str, rng: random.Random) -> str:
    """A greeting and a closing around the message, as customers often write."""
    return f"{rng.choice(GREETINGS)} {text} {rng.choice(CLOSINGS)}"


def reorder(text: str, rng: random.Random) -> str:
    """Swap two neighbouring words and drop or add a filler word."""
    words = _WORDS.findall(text)
    if len(words) >= 3:
        i = rng.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]
    fillers = [i for i, w in enumerate(words) if w.lower().strip(",.!?") in FILLERS]
    if fillers and len(words) > 3:
        del words[rng.choice(fillers)]
    else:
        words.insert(rng.randrange(len(words) + 1) if words else 0, rng.choice(FILLERS))
    return " ".join(words)


def typos(text: str, rng: random.Random) -> str:
    """Keyboard-neighbour typos in a few words, and contractions spelled out (or the other way)."""
    words = _WORDS.findall(text)
    for i, word in enumerate(words):
        key = word.lower().strip(",.!?")
        if key in EXPANSIONS:
            words[i] = word.lower().replace(key, EXPANSIONS[key])
    candidates = [i for i, w in enumerate(words) if len(w) > 3]
    for i in rng.sample(candidates, k=min(3, len(candidates))):
        word = words[i]
        j = rng.randrange(1, len(word) - 1)
        words[i] = word[:j] + KEYBOARD.get(word[j].lower(), word[j]) + word[j + 1 :]
    return " ".join(words)


def truncate(text: str, rng: random.Random) -> str:
    """The message without its last clause, as a hurried customer writes it."""
    words = _WORDS.findall(text)
    keep = max(3, int(len(words) * rng.uniform(0.6, 0.85)))
    return " ".join(words[:keep]).rstrip(",;:") + ("?" if text.rstrip().endswith("?") else "")


DETERMINISTIC: dict[str, Callable[[str, random.Random], str]] = {
    "polite": polite,
    "reorder": reorder,
    "typos": typos,
    "truncate": truncate,
}


def deterministic_variants(text: str, count: int) -> list[tuple[str, str]]:
    """``count`` (generator, variant) pairs, the same for the same text on every run."""
    rng = random.Random(text_hash(text))  # noqa: S311 - the same variants on every run, not secrets
    names = list(DETERMINISTIC)
    rng.shuffle(names)
    out = []
    for index in range(count):
        name = names[index % len(names)]
        out.append((name, normalise(DETERMINISTIC[name](text, rng))))
    return out


def pick_for_llm(rows: list[Row], limit: int) -> set[int]:
    """Row ids for the LLM: round-robin over labels, the smallest label first."""
    by_label: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        by_label[row.label].append(row)
    queues = sorted(by_label.values(), key=len)
    chosen: set[int] = set()
    while len(chosen) < limit and any(queues):
        for queue in queues:
            if queue and len(chosen) < limit:
                chosen.add(queue.pop(0).pk)
    return chosen


class AugmentStep:
    name: ClassVar[str] = "augment"
    title: ClassVar[str] = gettext_noop("Augment")

    def able_to_run(self, context: StepContext) -> bool:
        return context.options.augment

    def run(self, context: StepContext) -> Counts:
        variants = settings.DATASETS_AUGMENT_VARIANTS
        low = settings.DATASETS_LOW_CONFIDENCE
        sources = list(
            Row.objects.filter(run=context.run, source=Row.Source.ORIGINAL, status=Row.Status.READY)
            .exclude(label="")
            .order_by("position")
        )
        sources = [row for row in sources if row.confidence is None or row.confidence >= low]
        use_llm = context.options.use_llm and prompts.available()
        budget = prompts.Budget(settings.DATASETS_AUGMENT_LLM_ROWS if use_llm else 0)
        for_llm = pick_for_llm(sources, budget.left)
        position = Row.objects.filter(run=context.run).count()
        created: list[Row] = []
        counts: Counts = {"source_rows": len(sources), "llm_rows": 0, "llm_variants": 0, "deterministic_variants": 0}
        for done, row in enumerate(sources, start=1):
            made: list[tuple[str, str]] = []
            if row.pk in for_llm:
                counts["llm_rows"] += 1
                made = [("llm", normalise(text)) for text in prompts.paraphrase(row.text, variants, budget)]
                counts["llm_variants"] += len(made)
            if len(made) < variants:
                extra = deterministic_variants(row.text, variants - len(made))
                counts["deterministic_variants"] += len(extra)
                made += extra
            for generator, text in made:
                created.append(
                    Row(
                        run=context.run, position=position, source=Row.Source.SYNTHETIC, parent=row,
                        generator=generator, text=text, text_hash=text_hash(text) if text else "",
                        response=row.response, domain=row.domain, meta=row.meta, label=row.label,
                        status=Row.Status.CANDIDATE,
                    )
                )  # fmt: skip
                position += 1
            if len(created) >= 2000:
                Row.objects.bulk_create(created)
                created = []
            context.progress(done, len(sources))
        Row.objects.bulk_create(created)
        counts["llm_calls"], counts["llm_errors"] = budget.calls, budget.errors
        counts["rows"] = len(sources)
        counts["candidates"] = counts["llm_variants"] + counts["deterministic_variants"]
        return counts
