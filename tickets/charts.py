"""Server-side SVG chart geometry: the template draws what these functions lay out (no JavaScript)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from django.utils.formats import date_format, number_format
from django.utils.translation import ngettext

from helpdesk.charts import Bar, Tick, nice_step

WIDTH, HEIGHT = 760, 240
LEFT, RIGHT, TOP, BOTTOM = 36, 8, 10, 28


class DayValues(Protocol):
    @property
    def day(self) -> date: ...
    @property
    def created(self) -> int: ...
    @property
    def solved(self) -> int: ...


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    baseline: float
    left: int
    right_edge: int
    total_created: int
    total_solved: int


def created_vs_solved(days: Sequence[DayValues]) -> BarChart:
    """Grouped bars per day: tickets created and tickets solved."""
    step = nice_step(max([0, *(d.created for d in days), *(d.solved for d in days)]))
    top = step * 4
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(days), 1)
    bar_w = max(slot * 0.38, 1.0)
    bars, x_ticks = [], []
    for index, day in enumerate(days):
        x0 = LEFT + index * slot + slot * 0.1
        for offset, series, value in ((0, "created", day.created), (1, "solved", day.solved)):
            counted = (
                ngettext("%(count)d created", "%(count)d created", value)
                if series == "created"
                else ngettext("%(count)d solved", "%(count)d solved", value)
            ) % {"count": value}
            height = plot_h * value / top
            bars.append(
                Bar(
                    x=round(x0 + offset * bar_w, 2),
                    y=round(TOP + plot_h - height, 2),
                    width=round(bar_w, 2),
                    height=round(height, 2),
                    series=series,
                    title=f"{date_format(day.day, 'SHORT_DATE_FORMAT')}: {counted}",
                )
            )
        if index % 5 == 0 or index == len(days) - 1:
            # "December 7" / "7 декабря": the reader's language and word order.
            label = date_format(day.day, "MONTH_DAY_FORMAT")
            x_ticks.append(Tick(position=round(LEFT + index * slot + slot / 2, 2), label=label))
    y_ticks = [
        Tick(position=round(TOP + plot_h - plot_h * i / 4, 2), label=number_format(step * i, force_grouping=True))
        for i in range(5)
    ]
    return BarChart(
        width=WIDTH,
        height=HEIGHT,
        bars=bars,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        baseline=TOP + plot_h,
        left=LEFT,
        right_edge=WIDTH - RIGHT,
        total_created=sum(d.created for d in days),
        total_solved=sum(d.solved for d in days),
    )
