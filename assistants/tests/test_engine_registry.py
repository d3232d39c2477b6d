"""Plug-ins reach the answer engine through its registry, from their AppConfig.ready(), never by being imported."""

from __future__ import annotations

from assistants.engine import registry
from assistants.lora.selectors import serving_adapter
from assistants.vision.selectors import screenshot_question_text
from tickets.models import Ticket


def test_lora_resolves_adapters_and_vision_enriches_ticket_questions():
    assert registry._adapter_resolver is serving_adapter
    assert registry._question_enrichers == {"vision.screenshots": screenshot_question_text}


def test_enrichers_add_their_paragraphs_in_order_and_one_with_nothing_to_say_adds_none(monkeypatch):
    monkeypatch.setattr(registry, "_question_enrichers", {})
    ticket = Ticket(subject="Can't pay")  # not saved: the enrichers read only its fields
    registry.register_question_enricher("first", lambda t: f"About {t.subject}")
    registry.register_question_enricher("silent", lambda t: "")
    registry.register_question_enricher("last", lambda t: "Last words")
    registry.register_question_enricher("first", lambda t: f"Again about {t.subject}")  # ready() ran twice
    enrichments = registry.question_enrichments(ticket)
    assert [(e.text, e.focus) for e in enrichments] == [("Again about Can't pay", ""), ("Last words", "")]
