# ruff: noqa: SIM905 - the word list reads best as text
"""Sentence-by-sentence verification of a draft against the retrieved context.

A sentence passes when a retrieved chunk supports it:

- every fact in it (number, amount, time, date, weekday, phone number, e-mail, URL,
  product or proper name) occurs in that chunk or in the question, and each number
  or time is stated there about the same thing (not transplanted from another clause);
  a link, e-mail address, handle or phone number must occur in the chunk itself: the
  question holds what customers, CC'd contacts and their screenshots wrote, so one
  found only there may be planted ("verify your account at https://…");
- enough of its content words occur in the chunk, and it is close (embedding cosine)
  to a sentence of the chunk;
- it says "not/never/no" exactly when that source sentence does;
- it is complete, does not repeat itself or an earlier sentence, and carries no
  prompt fragments or markup.

A sentence that fails is replaced by its closest source sentence when that one is
relevant to the question, or dropped. ``[n]`` is kept only on a sentence chunk n
supports; a right sentence with a wrong number is re-cited to the chunk that supports it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass

import numpy as np
from django.utils.translation import gettext

from assistants.engine import sentences as text
from assistants.engine.evidence import QUESTION_WORDS, Evidence, Sentence, embed_cached
from assistants.engine.facts import Fact, facts, has_negation, names_checked
from assistants.engine.language import text_language

# Tuned on bench/fixtures/grounding.json with SmolLM2-135M drafts; see bench/results/answer.md.
MIN_COVERAGE = 0.6  # share of a sentence's content words found in its chunk (or the question)
MIN_SIMILARITY = 0.5  # cosine between the sentence and its closest source sentence
MIN_RELEVANCE = 0.45  # evidence score a quoted source sentence needs to be worth showing for this question
# A source sentence replaces a failed one only if it is about the same thing: close in meaning and sharing
# at least this share of the failed sentence's content words ("The link works for 48 hours" → "…24 hours").
MIN_REPLACEMENT_SIMILARITY = 0.45
MIN_REPLACEMENT_OVERLAP = 0.4
DUPLICATE_SIMILARITY = 0.9
# Courtesy words: a sentence made only of these says nothing to verify and nothing worth sending.
FILLER = frozenset(
    "sure hope help helps helped glad happy thank thanks welcome great question questions assist assistance "
    "reach contact feel free anything else today day nice good luck let know further regards best kind "
    "certainly course absolutely problem worries understand appreciate patience "
    "рад рада рады помочь помогу поможем обращайтесь обращение обращения вопрос вопросы остались "
    "хорошего хорошо дня удачи благодарю благодарим уважением понимаю понимаем терпение всегда готов готовы "
    "свяжитесь напишите".split()
)
BINDING_WINDOW = 4  # words on each side of a number that must be stated with it in the source
_PROMPT_FRAGMENT = re.compile(
    r"</?\s*(context|conversation|question|facts?|author|system|user|assistant)\b|\brules:|\bcontext\b.*\[\d\]|"
    r"\b(as an ai|language model)\b|^(question|answer|customer|agent)\s*:",
    re.I,
)
_NEXT_SENTENCE = re.compile(r"[.!?…]['\")\]]*(?:\s*\[\d{1,2}\])*\s+[^\s\[]|\n\s*\S")  # a sentence ended, another began
_CITE = re.compile(r"\[(\d{1,2})\]")
_CLAUSE = re.compile(r"\s*(?:[;:,]|\s(?:and|but|or|und|et|y|и|но|или|а)\s)\s*", re.I)
# Where a reader is sent or whom they contact: never taken from the question, only from the knowledge base.
CONTACT_KINDS = frozenset({"email", "url", "phone", "handle"})
PHONE_DIGITS = 7  # a bare number this long may be a phone number written without separators


@dataclass(frozen=True)
class Checked:
    """One sentence of an answer and what verification made of it."""

    text: str  # what the reader sees: the model's sentence, or the source sentence that replaced it
    verified: bool
    ref: int | None = None  # the chunk that supports it
    origin: str = "model"  # "model", or "quote" for a sentence taken from the knowledge base
    reason: str = ""  # why it failed, or why the model's sentence was replaced or re-cited
    original: str = ""  # the model's own sentence, when it was replaced

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _move_citations(raw: str) -> str:
    """'Text. [1] Next' → 'Text [1]. Next': a citation belongs to the sentence before it."""
    return re.sub(r"([.!?])((?:\s*\[\d{1,2}\])+)", lambda m: m.group(2) + m.group(1), raw)


def draft_sentences(raw: str, language: str) -> list[str]:
    """The sentences of a model's draft, markdown and list bullets gone, citations kept on their sentence."""
    return text.sentences(_move_citations(raw), text_language(raw, language), headings=True, keep_tags=True)


def _repeats_itself(words: list[str]) -> bool:
    if len(words) < 6:
        return False
    trigrams = [tuple(words[i : i + 3]) for i in range(len(words) - 2)]
    if len(set(trigrams)) < len(trigrams):
        return True
    counts: dict[str, int] = {}
    for w in words:
        if w not in text.STOPWORDS:
            counts[w] = counts.get(w, 0) + 1
    return max(counts.values(), default=0) > 3


def _fact_key(fact: Fact) -> tuple[str, str]:
    # A phone number written without separators is read as a number: compare them as one kind.
    kind = "digits" if fact.kind in ("number", "phone") else fact.kind
    return kind, fact.value


def _same_fact(a: Fact, b: Fact) -> bool:
    return _fact_key(a) == _fact_key(b) or (a.kind == b.kind == "phone" and a.value[-7:] == b.value[-7:])


def _contact(fact: Fact) -> bool:
    return fact.kind in CONTACT_KINDS or (
        fact.kind == "number" and fact.value.isdigit() and len(fact.value) >= PHONE_DIGITS
    )


def _fact_in(fact: Fact, pool: set[tuple[str, str]], words: set[str]) -> bool:
    if fact.kind == "name" or fact.kind == "code":
        return fact.value in words or _fact_key(fact) in pool
    if _fact_key(fact) in pool:
        return True
    if fact.kind == "phone":  # +49 30 … and 030 … are one number
        value = fact.value
        return any(k == "digits" and len(v) >= 7 and (v.endswith(value) or value.endswith(v)) for k, v in pool)
    return False


@dataclass
class _Support:
    ref: int
    source: Sentence | None
    similarity: float
    coverage: float
    problem: str  # empty when the chunk supports the sentence


class Verifier:
    """Checks sentences of one answer in order (it remembers what it let through, to catch repeats)."""

    def __init__(self, evidence: Evidence, *, names_from: str = "") -> None:
        self.evidence = evidence
        self.language = evidence.language
        self.names = names_checked(self.language)
        self.kept: list[tuple[str, np.ndarray]] = []
        self.used_sources: set[tuple[int, int]] = set()
        question_words = set(text.words(evidence.question)) | set(text.words(names_from))
        # The question vouches for numbers, times and names it states, never for a contact or a link.
        self.question_pool = {_fact_key(f) for f in evidence.question_facts if not _contact(f)}
        self.question_words = question_words
        self._chunk_cache: dict[int, tuple[set[tuple[str, str]], set[str], set[str]]] = {}

    def _chunk(self, ref: int) -> tuple[set[tuple[str, str]], set[str], set[str]]:
        """(facts, words, content stems) of a chunk, with its title."""
        if ref not in self._chunk_cache:
            chunk = self.evidence.chunks[ref]
            plain = " ".join(s for s, _ in text.blocks(chunk.text))
            pool = {_fact_key(f) for f in facts(plain, names=self.names)}
            words = set(text.words(plain)) | set(text.words(chunk.title))
            language = self._language(plain)
            stems = text.content_stems(plain, language) | text.content_stems(chunk.title, language)
            self._chunk_cache[ref] = (pool, words, stems)
        return self._chunk_cache[ref]

    def _language(self, sentence: str) -> str:
        """The rules to read a sentence with: the assistant's language unless its script says otherwise."""
        return text_language(sentence, self.language)

    def _bound(self, fact: Fact, sentence: str, ref: int) -> bool:
        """Whether the words around a number in the sentence are said with that number in the chunk."""
        language = self._language(sentence)
        clause = next(
            (c for c in _CLAUSE.split(sentence) if fact.text in c), sentence
        )  # the part of our sentence that holds the number
        tokens = text.words(clause)
        try:
            at = next(i for i, t in enumerate(tokens) if t in fact.text.lower() or fact.text.lower() in t)
        except StopIteration:
            return True
        window = tokens[max(0, at - BINDING_WINDOW) : at + BINDING_WINDOW + 1]
        _, _, chunk_stems = self._chunk(ref)
        around = text.content_stems(" ".join(window), language) & chunk_stems
        if not around:
            return True
        for source in self.evidence.of_chunk(ref):
            if not any(_same_fact(f, fact) for f in source.facts):
                continue
            for source_clause in re.split(r"\s*;\s*", source.text):
                if text.content_stems(f"{source.heading} {source_clause}", language) >= around:
                    return True
        return False

    def _support(self, sentence: str, vector: np.ndarray, ref: int, found: list[Fact], negated: bool) -> _Support:
        pool, words, chunk_stems = self._chunk(ref)
        sources = self.evidence.of_chunk(ref)
        if not sources:
            return _Support(ref, None, 0.0, 0.0, gettext("the chunk has no text"))
        similarities = [float(s.vector @ vector) - self.evidence.background for s in sources]
        best = int(np.argmax(similarities))
        source, similarity = sources[best], similarities[best]
        stems = text.content_stems(sentence, self._language(sentence))
        coverage = len(stems & (chunk_stems | self.evidence.question_stems)) / len(stems) if stems else 0.0
        missing = [
            f.text
            for f in found
            if not _fact_in(f, pool, words)
            and not _fact_in(f, self.question_pool, self.question_words)
            and not (f.kind == "name" and f.value in self.question_words)
        ]
        if missing:
            return _Support(
                ref,
                source,
                similarity,
                coverage,
                gettext("%(facts)s not in the source") % {"facts": ", ".join(missing)},
            )
        unbound = [f.text for f in found if f.kind in ("number", "time", "phone") and not self._bound(f, sentence, ref)]
        if unbound:
            problem = gettext("%(facts)s is stated about something else") % {"facts": ", ".join(unbound)}
            return _Support(ref, source, similarity, coverage, problem)
        if negated != source.negated:
            problem = (
                gettext("adds a negation the source does not have")
                if negated
                else gettext("drops the source's negation")
            )
            return _Support(ref, source, similarity, coverage, problem)
        if coverage < MIN_COVERAGE:
            problem = gettext("too few of its words are in the source (%(coverage)s)") % {"coverage": f"{coverage:.0%}"}
            return _Support(ref, source, similarity, coverage, problem)
        if similarity < MIN_SIMILARITY:
            problem = gettext("no source sentence says this (closest %(similarity)s)") % {
                "similarity": f"{similarity:.2f}"
            }
            return _Support(ref, source, similarity, coverage, problem)
        return _Support(ref, source, similarity, coverage, "")

    def _echoes_question(self, sentence: str) -> bool:
        """A sentence made only of the question's words answers nothing ("Роуминг включится сам?")."""
        stems = text.content_stems(sentence, self._language(sentence)) - QUESTION_WORDS
        return bool(stems) and stems <= self.evidence.question_stems

    def _duplicate(self, vector: np.ndarray) -> bool:
        return any(float(v @ vector) >= DUPLICATE_SIMILARITY for _, v in self.kept)

    def _keep(self, checked: Checked, vector: np.ndarray, source: Sentence | None) -> Checked:
        self.kept.append((checked.text, vector))
        if source is not None:
            self.used_sources.add((source.ref, source.index))
        return checked

    def _replace(self, original: str, source: Sentence | None, similarity: float, why: str) -> Checked:
        stems = {s for s in text.content_stems(original, self._language(original)) if not any(c.isdigit() for c in s)}
        overlap = len(stems & source.stems) / len(stems) if source is not None and stems else 0.0
        if (
            source is not None
            and similarity >= MIN_REPLACEMENT_SIMILARITY
            and overlap >= MIN_REPLACEMENT_OVERLAP
            and not (source.anaphoric and (source.ref, source.index - 1) not in self.used_sources)
            and (source.ref, source.index) not in self.used_sources
            and source.score >= MIN_RELEVANCE
            and not self._duplicate(source.vector)
        ):
            quote = Checked(source.text, True, source.ref, "quote", f"replaced: {why}", original)
            return self._keep(quote, source.vector, source)
        return Checked(original, False, None, "model", why)

    def check(self, raw: str, *, complete: bool = True) -> Checked:
        """Verify one sentence of the draft (with its ``[n]`` markers)."""
        cited = [int(n) for n in _CITE.findall(raw) if int(n) in self.evidence.chunks]
        sentence = text.strip_citations(raw).strip()
        if not sentence:
            return Checked(raw, False, None, "model", gettext("empty"))
        if _PROMPT_FRAGMENT.search(sentence):
            return Checked(sentence, False, None, "model", gettext("prompt text or markup, not an answer"))
        if not complete:
            return Checked(sentence, False, None, "model", gettext("cut off"))
        tokens = text.words(sentence)
        if _repeats_itself(tokens):
            return Checked(sentence, False, None, "model", gettext("repeats itself"))
        if not {w for w in tokens if w not in text.STOPWORDS} - FILLER:
            return Checked(sentence, False, None, "model", gettext("courtesy words only"))
        vector = embed_cached([sentence])[0]
        if self._duplicate(vector):
            return Checked(sentence, False, None, "model", gettext("repeats an earlier sentence"))
        found = [f for f in facts(sentence, names=self.names)]
        if not found and self._echoes_question(sentence):  # a fact in it is checked against the sources below
            return Checked(sentence, False, None, "model", gettext("repeats the question"))
        negated = has_negation(sentence, self._language(sentence))
        order = cited + [ref for ref in self.evidence.chunks if ref not in cited]
        supports = [self._support(sentence, vector, ref, found, negated) for ref in order]
        passing = [s for s in supports if not s.problem]
        if passing:
            chosen = passing[0] if cited and passing[0].ref in cited else max(passing, key=lambda s: s.similarity)
            if cited and chosen.ref not in cited:
                reason = gettext("cited [%(cited)s], supported by [%(ref)s]") % {
                    "cited": ", ".join(map(str, cited)),
                    "ref": chosen.ref,
                }
            else:
                reason = ""
            return self._keep(Checked(sentence, True, chosen.ref, "model", reason), vector, chosen.source)
        blame = supports[0] if cited else max(supports, key=lambda s: s.similarity)
        closest = max((s for s in supports if s.source is not None), key=lambda s: s.similarity, default=None)
        if closest is None:
            return Checked(sentence, False, None, "model", blame.problem)
        return self._replace(sentence, closest.source, closest.similarity, blame.problem)

    def quote(self, source: Sentence) -> Checked:
        """A knowledge sentence as it stands (extractive answers): verified by construction, still deduplicated."""
        if (source.ref, source.index) in self.used_sources or self._duplicate(source.vector):
            return Checked(source.text, False, source.ref, "quote", gettext("repeats an earlier sentence"))
        return self._keep(Checked(source.text, True, source.ref, "quote"), source.vector, source)


def verify(raw: str, evidence: Evidence, *, truncated: bool = False, names_from: str = "") -> list[Checked]:
    """Every sentence of a finished draft, checked in order."""
    verifier = Verifier(evidence, names_from=names_from)
    parts = draft_sentences(raw, evidence.language)
    return [
        verifier.check(part, complete=not (truncated and i == len(parts) - 1) or text.is_complete(part))
        for i, part in enumerate(parts)
    ]


class StreamingVerifier:
    """Feed model pieces as they arrive; get each sentence back once it is complete and checked.

    A sentence counts as complete once the next one has begun (its citation may still follow its full stop).
    """

    def __init__(self, verifier: Verifier, *, translate: Callable[[str], str] | None = None) -> None:
        self.verifier = verifier
        self.translate = translate or (lambda raw: raw)
        self.raw = ""
        self.emitted = 0

    def feed(self, piece: str) -> Iterator[Checked]:
        self.raw += piece
        if not _NEXT_SENTENCE.search(self.raw[-80:]):
            return
        parts = draft_sentences(self.translate(self.raw), self.verifier.language)
        for part in parts[self.emitted : len(parts) - 1]:
            self.emitted += 1
            yield self.verifier.check(part)

    def finish(self, *, truncated: bool) -> Iterator[Checked]:
        parts = draft_sentences(self.translate(self.raw), self.verifier.language)
        for i, part in enumerate(parts[self.emitted :], start=self.emitted):
            last = i == len(parts) - 1
            yield self.verifier.check(part, complete=not (last and truncated) or text.is_complete(part))
        self.emitted = len(parts)
