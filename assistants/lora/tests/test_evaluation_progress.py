"""After its last step a training job shows its evaluation with its own progress (not "about 0 s left")."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from assistants.lora import evaluation, services
from assistants.lora.dataset import Example
from assistants.lora.models import Adapter, Phase, Status
from assistants.lora.tests.conftest import prompt


@pytest.fixture
def bot(acme, assistant_in):
    return assistant_in(acme)


def _running(bot, **fields) -> Adapter:
    defaults = {"status": Status.RUNNING, "step": 30, "total_steps": 30, "loss": 0.5, "seconds_per_step": 1.5}
    return Adapter.objects.create(assistant=bot, number=1, **(defaults | fields))


def test_the_page_shows_the_evaluation_and_its_own_time_left(acme, bot, manager_client, api_client, media_cleanup):
    with tenant_context(acme):
        started = timezone.now() - timedelta(seconds=6)
        adapter = _running(bot, phase=Phase.EVALUATING, eval_done=3, eval_total=8, eval_started_at=started)
    html = manager_client.get(f"/assistants/{bot.pk}/adapters/{adapter.pk}/progress/").content.decode()
    assert "evaluating: held-out answer <strong>3 / 8</strong>" in html
    assert '<progress value="3" max="8">' in html and "about 10 s left" in html
    assert "Step <strong>30 / 30</strong>" not in html and "about 0 s left" not in html
    body = api_client.get(f"/api/v1/assistants/{bot.pk}/adapters/{adapter.pk}/").json()
    assert (body["phase"], body["eval_done"], body["eval_total"]) == ("evaluating", 3, 8)
    assert 9 <= body["eta_seconds"] <= 11


def test_converting_says_so_instead_of_zero_seconds_left(acme, bot, manager_client, media_cleanup):
    with tenant_context(acme):
        adapter = _running(bot, phase=Phase.CONVERTING)
    html = manager_client.get(f"/assistants/{bot.pk}/adapters/{adapter.pk}/progress/").content.decode()
    assert "converting the adapter for llama.cpp" in html and "about 0 s left" not in html


@pytest.mark.parametrize(
    "questions",
    [
        ["How long do I have to return an item?", "Do you ship abroad?"],
        ["Сколько дней есть на возврат товара?", "Вы доставляете за границу?"],
    ],
)
def test_each_held_out_answer_moves_the_progress(acme, bot, manager_client, media_cleanup, questions):
    """The real evaluation (the answer engine, extractive) reports every answer to the job's row."""
    examples = [
        Example(messages=prompt(q), answer="-", question=q, source="test", group=str(i), split="heldout")
        for i, q in enumerate(questions)
    ]
    with tenant_context(acme):
        adapter = _running(bot)
        seen: list[tuple[int, int]] = []
        progress = services.EvaluationProgress(adapter, 2 * len(evaluation.questions(examples, 8)))

        def record(done: int, total: int) -> None:
            progress(done, total)
            row = Adapter.objects.get(pk=adapter.pk)
            seen.append((row.eval_done, row.eval_total))

        metrics = evaluation.compare(
            assistant=bot, examples=examples, adapter_dir="", provider="extractive", limit=8, on_answer=record
        )
    assert metrics["questions"] == 2
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    html = manager_client.get(f"/assistants/{bot.pk}/adapters/{adapter.pk}/progress/").content.decode()
    assert "evaluating: held-out answer <strong>4 / 4</strong>" in html
