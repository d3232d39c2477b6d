"""The sentences of the retrieved chunks, embedded once and ranked against the question.

The extractive answer quotes the best of them, the grammar-constrained strategy
numbers them for the model to choose from, and verification looks up the source
sentence of each generated sentence here.
"""

from __future__ import annotations

import math
import re
import statistics
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from assistants.engine import sentences as text
from assistants.engine.facts import Fact, facts, has_negation, names_checked
from assistants.engine.language import text_language
from helpdesk import ai
from helpdesk.ai import EMBEDDING_DIMENSIONS, ContextChunk

Embed = Callable[[Sequence[str]], np.ndarray]
# Score of a sentence for a question = cosine(question, heading + sentence) + LEXICAL_WEIGHT * the share of the
# question's content words it contains. Tuned on bench/fixtures/grounding.json (see bench/results/answer.md).
LEXICAL_WEIGHT = 0.35
# Below its model's floor no sentence answers the question: the assistant declines. The floor belongs to the
# embedding model: MiniLM's was tuned on bench/fixtures/grounding.json. bench/answer_floor.py measures, on data no
# answer benchmark uses, where each model's answering and non-answering scores lie: centred e5's overlap there
# (medians 0.39 / 0.37), so a lower e5 floor would answer unanswerable questions; e5 keeps MiniLM's floor
# (bench/results/answer_floor.md).
MIN_ANSWER_SCORES = {"minilm": 0.55, "e5": 0.55}
MIN_ANSWER_SCORE = MIN_ANSWER_SCORES["minilm"]  # for a model without a calibrated floor
MIN_PREFIX_STEM = 5  # shorter stems begin too many other words to match by prefix
MAX_STEM_REST = 2  # letters an ending the stemmer left on may have ("работа" and "работ"); more make another word
UNKNOWN_NAME_MARGIN = 0.15  # "Who is the CEO of Kestrel?": the context names Kestrel everywhere, the CEO nowhere
ANSWER_MARGIN = 0.2  # extractive answers add sentences scoring within this of the best one
# The cosine a question has with sentences that do not answer it depends on the model and the language: ~0.13 on
# average for English with MiniLM (at most 0.23 over bench/fixtures/grounding.json), ~0.52 for Russian, whose
# words MiniLM's English vocabulary splits into letters. The thresholds above were tuned where it is low; when the
# median cosine of the candidate sentences is higher than this, that excess is taken off every sentence's cosine,
# so "no sentence answers" means the same in every language (and with an embedding model of another scale).
BACKGROUND_SIMILARITY = 0.4
BACKGROUND_MIN_SENTENCES = 8  # fewer sentences say too little about the background
# A sentence that starts like this leans on the one before it; quoting it alone would not make sense.
_ANAPHORA = re.compile(
    r"^(it|this|that|these|those|they|them|then|otherwise|afterwards|there|such|each|both|"
    r"это|этот|эта|эти|этого|этой|он|она|оно|они|их|его|ее|её|там|тогда|затем|иначе|такой|такая|такие|такое|"
    r"каждый|оба|обе)\b",
    re.I,
)
# For a sentence holding the kind of fact the question asks for (a price; 1.5 times this for an address).
ANSWER_TYPE_BONUS = 0.1
# For an instruction for a case ("If a parcel arrives damaged, ...") when the customer reports a problem: like an
# address, an answer of a recognisable form whose words seldom repeat the customer's.
REPORT_BONUS = 1.5 * ANSWER_TYPE_BONUS
# "Which number do I call?" is answered by a sentence with a phone number and by no other, however close in meaning
# (a Russian sentence about moving one's number to us is closer to that question than the hotline's, with MiniLM).
CONTACT_BONUS = 0.3
CONTACT_KINDS = frozenset({"email", "phone", "url"})
# What kind of fact a question asks for, in English and Russian; other languages get no bonus.
_ASKED_RU = (
    (
        re.compile(
            r"(?<!\w)(e-?mail|имейл|эл\.?\s?почт\w*|электронн\w* почт\w*|почтов\w* адрес\w*|куда (на)?писать|"
            r"куда (от)?прислать|куда (от)?править)",
            re.I,
        ),
        {"email"},
    ),
    (
        re.compile(
            # "телефон" alone is as often the device ("вернуть телефон") as the number: only with "номер",
            # "какой/по какому", or "поддержк"/"горяч" does it ask for one.
            r"(?<!\w)(номер\w* телефон\w*|телефон\w* (поддержк|горяч|служб|для связи)\w*|(какой|по какому|на какой) "
            r"телефон\w*|звонит\w*|позвонит\w*|дозвонит\w*|звонок|звонк\w*|горяч\w* лини\w*|по какому номеру|"
            r"какой номер)",
            re.I,
        ),
        {"phone"},
    ),
    (re.compile(r"(?<!\w)(сайт\w*|ссылк\w*|адрес\w* сайт\w*|веб-?страниц\w*)", re.I), {"url"}),
    (re.compile(r"(?<!\w)(адрес|где находит\w*|где располож\w*|куда приехать)(?!\w)", re.I), {"address"}),
    (
        re.compile(r"(?<!\w)(во сколько|до скольки|часы работы|график\w* работы|режим\w* работы|открыт\w*)", re.I),
        {"time", "calendar"},
    ),
    (
        re.compile(
            r"(?<!\w)(сколько|стоимост\w*|стоит|цен[аеуы]\w*|плат[аеуы]\w*|тариф\w*|комисси\w*|скорост\w*|"
            r"лимит\w*|какой срок|какая сумма)",
            re.I,
        ),
        {"number"},
    ),
    (
        re.compile(r"(?<!\w)(когда|какого числа|какое число|до какого|в какой день|в какие дни|дат[аеуы])", re.I),
        {"number", "time", "calendar"},
    ),
)
_ASKED = (
    (re.compile(r"\be-?mail\b|\bwhere (do|can|should) i (write|send)\b|\bwho do i write to\b", re.I), {"email"}),
    # "phone" alone is as often the device ("return my phone") as the number.
    (
        re.compile(r"\b(phone number|telephone number|(which|what) (tele)?phone|call|hotline|number to call)\b", re.I),
        {"phone"},
    ),
    (re.compile(r"\b(website|web site|url|link|web page)\b", re.I), {"url"}),
    (re.compile(r"\b(address|located|location|where are you|where is your)\b", re.I), {"address"}),
    (re.compile(r"\b(what time|opening hours|hours|open)\b", re.I), {"time", "calendar"}),
    (re.compile(r"\bhow (much|many|long|often|far|old|heavy)\b|\b(cost|price|fee|fees|charge)\b", re.I), {"number"}),
    (re.compile(r"\b(which|what) (day|days|date)\b|\bwhen\b", re.I), {"number", "time", "calendar"}),
)
# A customer who reports a problem ("The box arrived crushed", "карта просрочена") asks what to do: that is answered
# by an instruction for the case ("If a parcel arrives damaged, send us a photo ..."), which gets REPORT_BONUS.
# A report is a message without a question mark that does not open as a question.
_QUESTION_OPENING = {
    "en": re.compile(
        r"^\W*(what|which|who|whom|whose|when|where|why|how|is|are|am|was|were|do|does|did|can|could|will|would|"
        r"shall|should|may|might|must|have|has|any)\b",
        re.I,
    ),
    "ru": re.compile(
        r"^\W*(что|как\w*|где|когда|куда|откуда|почему|зачем|сколько|чем|кто|чей|чья|чьё|чьи|можно|нельзя|"
        r"возможно|есть ли|правда ли)(?!\w)|(?<!\w)ли(?!\w)",
        re.I,
    ),
}
_INSTRUCTION_CASE = {
    "en": re.compile(r"^(if|when|whenever|in case|should|to)\b", re.I),
    "ru": re.compile(r"^(если|при|в случае|чтобы|когда)(?!\w)", re.I),
}
# Words of asking, not of what is asked about.
QUESTION_WORDS = frozenset(
    text.stems(["question", "questions", "ask", "know", "tell", "want", "wonder", "need", "like", "thanks", "hey"])
    + text.stems(
        ["вопрос", "спросить", "узнать", "подскажите", "скажите", "хочу", "хотел", "хотела", "интересует", "нужно",
         "надо", "привет"],
        "ru",
    )
)  # fmt: skip
# Text in the knowledge base that talks to the model rather than to customers: never quoted, never offered.
_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget)\b.{0,40}\b(instructions?|rules|prompt)\b|\byou are now\b|\bsystem prompt\b", re.I
)
_CACHE_SIZE = 20_000
_cache: OrderedDict[str, np.ndarray] = OrderedDict()
_cache_lock = threading.Lock()


def default_embed(texts: Sequence[str]) -> np.ndarray:
    if len(texts) <= 2:  # one thread per text: on busy cores two threads spin against each other (GOTCHAS)
        return np.vstack([ai.embed_query(t) for t in texts])
    return ai.embed(texts)


def embed_cached(texts: Sequence[str], embed: Embed | None = None, model_key: str | None = None) -> np.ndarray:
    """Unit vectors of ``texts``; knowledge sentences recur in every answer, so they are kept (LRU, per process,
    by the embedding model and the text). ``model_key``: the model ``embed`` embeds with."""
    embed = embed or default_embed
    # The model in the key: one process serves tenants of different models. A caller's own ``embed`` without a
    # model key is keyed by its identity.
    if model_key is not None:
        model = model_key
    else:
        model = ai.active_model_key() if embed is default_embed else f"{ai.active_model_key()}:{id(embed)}"
    keys = [f"{model}\x00{t}" for t in texts]
    missing = []
    with _cache_lock:
        for key, t in zip(keys, texts, strict=True):
            if key not in _cache:
                missing.append(t)
    if missing:
        unique = list(dict.fromkeys(missing))
        vectors = embed(unique)
        with _cache_lock:
            for t, v in zip(unique, vectors, strict=True):
                _cache[f"{model}\x00{t}"] = v
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    with _cache_lock:
        out = []
        for key in keys:
            _cache.move_to_end(key)
            out.append(_cache[key])
    return np.vstack(out) if out else np.zeros((0, EMBEDDING_DIMENSIONS), dtype=np.float32)


@dataclass
class Sentence:
    ref: int  # the chunk's number in the prompt
    index: int  # position in its chunk
    text: str
    heading: str
    stems: set[str]
    facts: list[Fact]
    negated: bool
    vector: np.ndarray = field(repr=False)
    score: float = 0.0  # against the question
    similarity: float = 0.0  # cosine part of the score
    bonus: float = 0.0  # part of the score for the form of an answer (a fact of the asked kind, a case's instruction)

    @property
    def anaphoric(self) -> bool:
        return bool(_ANAPHORA.match(self.text))


@dataclass
class Evidence:
    question: str
    language: str
    chunks: dict[int, ContextChunk]
    sentences: list[Sentence]
    question_vector: np.ndarray
    question_stems: set[str]
    question_facts: list[Fact]
    # How much higher than usual cosines are here (see BACKGROUND_SIMILARITY); verification takes it off too.
    background: float = 0.0
    min_score: float = MIN_ANSWER_SCORE  # the embedding model's floor (MIN_ANSWER_SCORES)

    def ranked(self) -> list[Sentence]:
        return sorted(self.sentences, key=lambda s: s.score, reverse=True)

    def of_chunk(self, ref: int) -> list[Sentence]:
        return [s for s in self.sentences if s.ref == ref]

    def previous(self, sentence: Sentence) -> Sentence | None:
        return next((s for s in self.sentences if s.ref == sentence.ref and s.index == sentence.index - 1), None)

    def chunk_stems(self, ref: int) -> set[str]:
        return set().union(*(s.stems for s in self.of_chunk(ref))) if self.of_chunk(ref) else set()

    def best(self) -> float:
        return max((s.score for s in self.sentences), default=0.0)

    def unknown_names(self) -> list[str]:
        """Names and codes of the question that no retrieved chunk mentions ("the CEO", "the Urban frame")."""
        known = set()
        for chunk in self.chunks.values():
            known |= set(text.words(f"{chunk.title} {chunk.heading} {chunk.text}"))
        unknown = [f for f in self.question_facts if f.kind in ("name", "code") and f.value not in known]
        language = text_language(self.question, self.language)
        if unknown and language != "en":
            # Russian names change their ending with the case: "на Садовой" is the "ул. Садовая" of the article.
            # The stemmer does not always cut both forms alike ("казахстане" → "казахстан", "казахстан" →
            # "казахста"): a name is known when one stem begins the other.
            known_stems = set(text.stems(known, language))
            unknown = [f for f in unknown if not _stem_known(text.stems([f.value], language)[0], known_stems)]
        return [f.text for f in unknown]

    def answer_floor(self) -> float:
        """The score a sentence needs to answer; higher when the question names something the context never does."""
        return self.min_score + (UNKNOWN_NAME_MARGIN if self.unknown_names() else 0.0)

    def answer_sentences(self, limit: int = 3) -> list[Sentence]:
        """The extractive answer: the best sentence and those nearly as good, each once, readable in order.

        A sentence that leans on the one before it ("It is closed on Sundays.") brings that one along;
        sentences of one chunk keep their order in it.
        """
        ranked = self.ranked()
        if not ranked or ranked[0].score < self.answer_floor():
            return []
        floor = max(self.answer_floor(), ranked[0].score - ANSWER_MARGIN)
        chosen: list[Sentence] = []
        for sentence in ranked:
            if len(chosen) >= limit or sentence.score < floor:
                break
            if any(float(sentence.vector @ c.vector) >= 0.9 for c in chosen):
                continue
            previous = self.previous(sentence) if sentence.anaphoric else None
            if previous is not None and previous not in chosen:
                if len(chosen) + 2 > limit:
                    continue
                chosen.append(previous)
            chosen.append(sentence)
        first = {id(s): i for i, s in enumerate(chosen)}
        # Group by chunk in order of each chunk's best sentence; within a chunk, the article's order.
        chunk_rank: dict[int, int] = {}
        for s in chosen:
            chunk_rank.setdefault(s.ref, first[id(s)])
        return sorted(chosen, key=lambda s: (chunk_rank[s.ref], s.index))


def _stem_known(stem: str, known: set[str]) -> bool:
    if stem in known:
        return True
    return len(stem) >= MIN_PREFIX_STEM and any(
        len(k) >= MIN_PREFIX_STEM and (k.startswith(stem) or stem.startswith(k)) for k in known
    )


def asked_kinds(question: str, language: str = "en") -> set[str]:
    """The kinds of fact a question asks for, e.g. {"phone"} for "What is your hotline's number?"."""
    kinds: set[str] = set()
    for pattern, found in _ASKED_RU if language == "ru" else _ASKED:
        if pattern.search(question):
            if "address" in found and "email" in kinds:
                continue
            kinds |= found
    return kinds


def background_shift(similarities: Sequence[float]) -> float:
    """How much higher than usual the cosine of unrelated sentences is here (0.0 when it is as usual)."""
    if len(similarities) < BACKGROUND_MIN_SENTENCES:
        return 0.0
    return max(0.0, statistics.median(similarities) - BACKGROUND_SIMILARITY)


def reports_problem(question: str, language: str = "en") -> bool:
    """Whether ``question`` is a statement of a problem ("The box arrived crushed") rather than a question."""
    opening = _QUESTION_OPENING.get(language)
    if opening is None or "?" in question:
        return False
    return len(text.content_stems(question, language)) >= 2 and not opening.search(question.strip())


def is_instruction_for_case(sentence: str, language: str = "en") -> bool:
    """Whether ``sentence`` tells what to do in a case ("If your card is declined, check ...")."""
    pattern = _INSTRUCTION_CASE.get(language)
    return bool(pattern and pattern.match(sentence.strip()))


def _stem_matches(stem: str, stems: set[str]) -> bool:
    """``stem`` is among ``stems``, or one of them is it with an ending the stemmer left on ("работа"/"работ").

    Only a short rest counts: "включ" (switch on) does not match "включительн" (inclusive).
    """
    if stem in stems or len(stem) < MIN_PREFIX_STEM:
        return stem in stems
    return any(
        len(k) >= MIN_PREFIX_STEM
        and abs(len(k) - len(stem)) <= MAX_STEM_REST
        and (k.startswith(stem) or stem.startswith(k))
        for k in stems
    )


def _holds(facts_: Sequence[Fact], kinds: set[str]) -> bool:
    present = {f.kind for f in facts_}
    if "address" in kinds and {"number", "name"} <= present:
        return True
    return bool(present & kinds)


def build(
    *,
    question: str,
    context: Sequence[ContextChunk],
    language: str = "en",
    embed: Embed | None = None,
    model: str | None = None,
) -> Evidence:
    """Split every chunk into plain sentences (markdown and broken lines gone), embed them and score each.

    ``model``: the key of the embedding model ``embed`` embeds with (its answer floor); the tenant's by default.
    """
    items: list[tuple[int, int, str, str]] = []
    seen: set[str] = set()
    for chunk in context:
        heading = chunk.heading or chunk.title
        index = 0
        for block, is_heading in text.blocks(chunk.text):
            if is_heading:
                heading = block
                continue
            for sentence in text.split(block, text_language(block, language)):
                key = " ".join(text.words(sentence))
                # Overlapping chunks repeat sentences: keep the first.
                if not key or key in seen or _INSTRUCTION.search(sentence):
                    continue
                seen.add(key)
                items.append((chunk.ref, index, sentence, heading))
                index += 1
    keyed = [f"{h}: {s}" if h else s for _, _, s, h in items]
    vectors = embed_cached([question, *keyed], embed, model)
    question_vector, vectors = vectors[0], vectors[1:]
    question_language = text_language(question, language)
    question_stems = text.content_stems(question, question_language) - QUESTION_WORDS
    with_names = names_checked(language)
    kinds = asked_kinds(question, question_language) if question_language in ("en", "ru") else set()
    report = reports_problem(question, question_language)
    languages = [text_language(s, language) for _, _, s, _ in items]
    sentence_stems = [text.content_stems(f"{h} {s}", lang) for (_, _, s, h), lang in zip(items, languages, strict=True)]
    # The article's title is the topic of each of its sentences, also under a section heading of its own ("Card
    # declined" in "Payment"): its words count for the lexical part (not for verification, which reads ``stems``).
    titles = {c.ref: c.title for c in context}
    topic_stems = [
        st | text.content_stems(titles.get(ref, ""), lang)
        for (ref, _, _, _), st, lang in zip(items, sentence_stems, languages, strict=True)
    ]
    # A question word found in every sentence (the product's name) says little; one found nowhere says the
    # most: inverse document frequency over these sentences weighs the lexical part.
    count = len(items)
    weight = {
        t: math.log((count + 1) / (max(sum(_stem_matches(t, st) for st in sentence_stems), 1) + 0.5))
        for t in question_stems
    }
    total = sum(weight.values())
    out = []
    similarities = [float(vector @ question_vector) for vector in vectors]
    shift = background_shift(similarities)
    for (ref, index, sentence, heading), vector, stems, topic, sentence_language in zip(
        items, vectors, sentence_stems, topic_stems, languages, strict=True
    ):
        similarity = float(vector @ question_vector) - shift
        lexical = sum(w for t, w in weight.items() if _stem_matches(t, topic)) / total if total > 0 else 0.0
        found = facts(sentence, names=with_names)
        bonus = REPORT_BONUS if report and is_instruction_for_case(sentence, sentence_language) else 0.0
        if kinds and _holds(found, kinds):
            # A report that also asks for a fact ("карта просрочена, сколько стоит перевыпуск"): the larger bonus.
            bonus = max(bonus, ANSWER_TYPE_BONUS * (1.5 if kinds & {"address"} else 1.0))
            if kinds & CONTACT_KINDS and _holds(found, kinds & CONTACT_KINDS):
                bonus = max(bonus, CONTACT_BONUS)
        out.append(
            Sentence(
                ref=ref,
                index=index,
                text=sentence,
                heading=heading,
                stems=stems,
                facts=found,
                negated=has_negation(sentence, sentence_language),
                vector=vector,
                score=similarity + LEXICAL_WEIGHT * lexical + bonus,
                similarity=similarity,
                bonus=bonus,
            )
        )
    return Evidence(
        question=question,
        language=language,
        chunks={c.ref: c for c in context},
        sentences=out,
        question_vector=question_vector,
        question_stems=question_stems,
        question_facts=facts(question, names=with_names),
        background=shift,
        min_score=MIN_ANSWER_SCORES.get(model or ai.active_model_key(), MIN_ANSWER_SCORE),
    )
