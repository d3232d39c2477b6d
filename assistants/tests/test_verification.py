"""Verification against hostile drafts, on the real embedding model (no database needed)."""

import pytest

from assistants.engine.evidence import build
from assistants.engine.facts import facts, has_negation
from assistants.engine.verification import StreamingVerifier, Verifier, verify
from helpdesk.ai import ContextChunk

CONTACT = ContextChunk(
    ref=1,
    title="Contact and opening hours",
    text=(
        "# Contact and opening hours\n\nOur customer hotline is 0800-555-0199. The hotline is open\n"
        "Monday to Friday from 8:00 to 20:00 CET. On Saturdays the hotline is open from 10:00 to 14:00.\n\n"
        "You can also write to **help@quillbridge.example**."
    ),
)
WARRANTY = ContextChunk(
    ref=2,
    title="Rocket skates warranty",
    text=(
        "Rocket skates have a 2-year warranty on the motor. Damage from cliffs, anvils and falling pianos is not "
        "covered. To make a claim, send the serial number to claims@quillbridge.example."
    ),
)
PASSWORD = ContextChunk(
    ref=3,
    title="Reset your password",
    text="To reset your password, open Settings > Security and click Reset password. The link is valid for 60 minutes.",
)
CONTEXT = [CONTACT, WARRANTY, PASSWORD]


@pytest.fixture(scope="module")
def evidence():
    return lambda question: build(question=question, context=CONTEXT)


def only(checked):
    assert len(checked) == 1, checked
    return checked[0]


def test_a_sentence_copied_from_its_source_passes_with_its_citation(evidence):
    result = only(verify("The hotline is open Monday to Friday from 8:00 to 20:00 CET [1].", evidence("hotline hours")))
    assert (result.verified, result.ref, result.origin, result.reason) == (True, 1, "model", "")


def test_a_paraphrase_with_the_same_facts_passes(evidence):
    result = only(verify("You can call the hotline at 0800 555 0199 [1].", evidence("What is the hotline number?")))
    assert result.verified and result.ref == 1 and result.origin == "model"


def test_a_wrong_phone_number_never_passes(evidence):
    result = only(verify("The hotline number is 1796110945 [1].", evidence("What is the hotline number?")))
    # Replaced by the sentence with the real number: what is shown is the source's.
    assert result.verified and result.origin == "quote"
    assert result.text == "Our customer hotline is 0800-555-0199." and "1796110945" in result.original
    assert result.reason == "replaced: 1796110945 not in the source"


def test_a_wrong_weekday_never_passes(evidence):
    result = only(verify("It is open on Mondays, Wednesdays and Fridays [1].", evidence("When is the hotline open?")))
    assert not (result.verified and "Wednesdays" in result.text)
    assert "Wednesdays not in the source" in result.reason


def test_a_time_taken_from_another_clause_is_caught(evidence):
    checked = only(verify("The hotline is open Monday to Friday from 10:00 to 14:00.", evidence("hotline hours")))
    assert not (checked.verified and checked.origin == "model")
    assert "stated about something else" in checked.reason


def test_an_invented_step_is_removed(evidence):
    draft = "Open Google Chrome, go to Advanced settings and clear your cookies."
    checked = only(verify(draft, evidence("How do I reset my password?")))
    assert not checked.verified and checked.reason == "Google, Chrome, Advanced not in the source"


def test_the_right_fact_with_the_wrong_citation_is_recited(evidence):
    result = only(verify("The hotline is open Monday to Friday from 8:00 to 20:00 CET [2].", evidence("hours")))
    assert (result.verified, result.ref) == (True, 1)
    assert result.reason == "cited [2], supported by [1]"


@pytest.mark.parametrize(
    "draft",
    [
        "It also covers damage from cliffs, anvils and falling pianos [2].",
        "Damage from falling pianos is covered by the warranty [2].",
    ],
)
def test_a_dropped_negation_never_passes(evidence, draft):
    result = only(verify(draft, evidence("What does the rocket skate warranty cover?")))
    assert "negation" in result.reason
    assert not result.verified or (result.origin == "quote" and "is not covered" in result.text)


def test_an_added_negation_never_passes(evidence):
    result = only(verify("Rocket skates have no warranty on the motor [2].", evidence("Is the motor covered?")))
    assert "negation" in result.reason
    assert not result.verified or result.text == "Rocket skates have a 2-year warranty on the motor."


def test_repetition_cut_off_text_and_prompt_markup_are_dropped(evidence):
    question = evidence("How long is the warranty?")
    looping = only(verify("The warranty is 2 years, 12 months, 12 weeks, 12 months, 12 weeks, 12 months.", question))
    assert not looping.verified and looping.reason == "repeats itself"
    cut = verify("Rocket skates have a 2-year warranty on the motor. Damage from", question, truncated=True)
    assert [c.verified for c in cut] == [True, False] and cut[1].reason == "cut off"
    markup = only(verify("<context> [1] Contact and opening hours", question))
    assert not markup.verified and "markup" in markup.reason


def test_a_sentence_said_twice_counts_once(evidence):
    checked = verify(
        "Rocket skates have a 2-year warranty on the motor. Rocket skates have a 2-year warranty on the motor.",
        evidence("How long is the warranty?"),
    )
    assert [c.verified for c in checked] == [True, False] and checked[1].reason == "repeats an earlier sentence"


def test_courtesy_filler_is_left_out(evidence):
    checked = verify("Sure! I hope this helps.", evidence("hours"))
    assert not any(c.verified for c in checked)


def test_streaming_yields_each_sentence_once_it_is_complete_and_checked(evidence):
    streaming = StreamingVerifier(Verifier(evidence("hotline number and hours")))
    pieces = ["Our customer hotline", " is 0800-555-0199", ". [1] The hotline is open Monday to", " Friday", "."]
    out = []
    for piece in pieces:
        out += [(piece, c.text, c.ref) for c in streaming.feed(piece)]
    # Complete once the next sentence began (its citation came after the full stop and stays with it).
    assert out == [(". [1] The hotline is open Monday to", "Our customer hotline is 0800-555-0199.", 1)]
    rest = list(streaming.finish(truncated=False))
    assert [(c.text, c.verified) for c in rest] == [("The hotline is open Monday to Friday.", True)]


def test_facts_are_compared_in_a_normal_form():
    assert [(f.kind, f.value) for f in facts("Call 0800-555-0199, 8 am to 8 pm.")] == [
        ("phone", "8005550199"),
        ("time", "8:00"),
        ("time", "20:00"),
    ]
    assert [f.value for f in facts("It costs 6,50 EUR or two passes for 1,000 EUR.") if f.kind == "number"] == [
        "6.5",
        "2",
        "1000",
    ]
    assert has_negation("Water damage is not covered") and has_negation("You don't need it")
    assert has_negation("Das ist nicht möglich", "de") and not has_negation("It is covered")


def test_the_extractive_answer_quotes_the_answering_sentences_without_markup(evidence):
    chosen = evidence("Which email address do I write to?").answer_sentences(3)
    assert chosen and chosen[0].text == "You can also write to help@quillbridge.example."
    assert all("**" not in s.text and "#" not in s.text and "\n" not in s.text for s in chosen)
    hours = evidence("Is the hotline open on Saturday?").answer_sentences(1)
    assert [s.text for s in hours] == ["On Saturdays the hotline is open from 10:00 to 14:00."]


def test_nothing_answers_an_unrelated_question(evidence):
    assert evidence("Who is the chief executive of the company?").answer_sentences(3) == []
