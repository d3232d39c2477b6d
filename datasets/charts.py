"""Server-side SVG of a version's label distribution: one row per label, train and eval bars side by side."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from helpdesk.charts import Bar, Tick, nice_step

WIDTH = 760
LABEL_W, RIGHT, TOP, ROW_H, BAR_H, AXIS_H = 170, 16, 8, 30, 11, 20


@dataclass(frozen=True)
class LabelChart:
    width: int
    height: int
    bars: list[Bar]
    labels: list[Tick]  # position = the row's middle, label = the label's name
    x_ticks: list[Tick]
    left: int
    baseline: float
    total_train: int
    total_eval: int


def label_distribution(train: dict[str, int], evaluation: dict[str, int]) -> LabelChart:
    names = sorted(set(train) | set(evaluation), key=lambda n: (-(train.get(n, 0) + evaluation.get(n, 0)), n))
    step = nice_step(max([0, *train.values(), *evaluation.values()]))
    top = step * 4
    plot_w = WIDTH - LABEL_W - RIGHT
    bars, ticks = [], []
    for index, name in enumerate(names):
        y0 = TOP + index * ROW_H
        for offset, series, value in ((0, "train", train.get(name, 0)), (1, "eval", evaluation.get(name, 0))):
            bars.append(
                Bar(x=LABEL_W, y=round(y0 + 3 + offset * (BAR_H + 1), 2), width=round(plot_w * value / top, 2),
                    height=BAR_H, series=series,
                    title=(_("%(label)s: %(count)s train") if series == "train" else _("%(label)s: %(count)s eval"))
                    % {"label": name, "count": number_format(value, force_grouping=True)})
            )  # fmt: skip
        ticks.append(Tick(position=round(y0 + ROW_H / 2, 2), label=name if len(name) <= 24 else name[:23] + "…"))
    baseline = TOP + len(names) * ROW_H
    x_ticks = [
        Tick(position=round(LABEL_W + plot_w * i / 4, 2), label=number_format(step * i, force_grouping=True))
        for i in range(5)
    ]
    return LabelChart(
        width=WIDTH, height=int(baseline + AXIS_H), bars=bars, labels=ticks, x_ticks=x_ticks, left=LABEL_W,
        baseline=baseline, total_train=sum(train.values()), total_eval=sum(evaluation.values()),
    )  # fmt: skip
