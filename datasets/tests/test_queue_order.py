"""The review queue puts the most useful decision first and does not show near-duplicates one after another."""

from __future__ import annotations

from itertools import pairwise

import pytest

from datasets.queue import diverse_order
from helpdesk import ai

CASES = {
    "minilm": [
        "I was charged twice for my subscription this month",
        "I was charged twice for my subscription this month!",
        "I was charged twice for my subscription this month, please help",
        "The app crashes when I open the settings page",
        "Where is my parcel? It has been a week",
    ],
    "e5": [
        "С меня дважды списали деньги за подписку в этом месяце",
        "С меня дважды списали деньги за подписку в этом месяце!",
        "С меня дважды списали деньги за подписку в этом месяце, помогите",
        "Приложение вылетает, когда я открываю настройки",
        "Где моя посылка? Прошла уже неделя",
    ],
}


@pytest.mark.parametrize("model", ["minilm", "e5"])
def test_near_duplicates_do_not_come_one_after_another(model):
    texts = CASES[model]
    vectors = ai.embedder(model).embed(texts)
    scores = [0.9, 0.89, 0.88, 0.5, 0.4]  # the three repeats are the most uncertain
    order = diverse_order(scores, vectors)
    assert order[0] == 0 and sorted(order) == list(range(5))
    duplicates = {0, 1, 2}
    assert not any(a in duplicates and b in duplicates for a, b in pairwise(order)), order
