import datetime as dt
from dataclasses import dataclass

import pytest

from tickets.charts import created_vs_solved


@dataclass
class Day:
    day: dt.date
    created: int
    solved: int


@pytest.mark.parametrize(("peak", "labels"), [(0, "01234"), (5, "02468"), (37, ["0", "10", "20", "30", "40"])])
def test_axis_labels_are_round_and_match_the_bars(peak, labels):
    days = [
        Day(dt.date(2026, 11, 1) + dt.timedelta(days=i), created=peak if i == 3 else 1, solved=0) for i in range(30)
    ]
    chart = created_vs_solved(days)
    assert [t.label for t in chart.y_ticks] == list(labels)
    top_tick = chart.y_ticks[-1]
    tallest = max(chart.bars, key=lambda b: b.height)
    # a bar of the top label's value would reach the top tick; the peak bar is proportionally lower
    assert tallest.y == pytest.approx(
        chart.baseline - (chart.baseline - top_tick.position) * max(peak, 1) / int(top_tick.label)
    )
    assert len(chart.bars) == 60 and chart.total_created == sum(d.created for d in days)
