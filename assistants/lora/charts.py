"""The loss curve as server-side SVG geometry (the template draws it; no JavaScript)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 640, 200
LEFT, RIGHT, TOP, BOTTOM = 44, 10, 10, 26


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class LossChart:
    width: int
    height: int
    points: str  # the SVG polyline's points
    last_x: float
    last_y: float
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    left: int
    right_edge: int
    baseline: float
    first: float
    last: float
    steps: int


def loss_chart(curve: Sequence[Sequence[float]], total_steps: int = 0) -> LossChart | None:
    """A polyline of (step, loss); the x axis spans the whole job so that the curve grows as it trains."""
    if not curve:
        return None
    steps = [float(p[0]) for p in curve]
    losses = [float(p[1]) for p in curve]
    x_max = max(float(total_steps), steps[-1], 1.0)
    y_max = max(losses) * 1.05 or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(step: float) -> float:
        return round(LEFT + plot_w * step / x_max, 1)

    def y(loss: float) -> float:
        return round(TOP + plot_h * (1 - loss / y_max), 1)

    points = " ".join(f"{x(s)},{y(v)}" for s, v in zip(steps, losses, strict=True))
    y_ticks = [Tick(position=y(y_max * i / 4), label=f"{y_max * i / 4:.2f}") for i in range(5)]
    x_ticks = [Tick(position=x(x_max * i / 4), label=str(round(x_max * i / 4))) for i in range(5)]
    return LossChart(
        width=WIDTH,
        height=HEIGHT,
        points=points,
        last_x=x(steps[-1]),
        last_y=y(losses[-1]),
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        left=LEFT,
        right_edge=WIDTH - RIGHT,
        baseline=TOP + plot_h,
        first=losses[0],
        last=losses[-1],
        steps=int(steps[-1]),
    )
