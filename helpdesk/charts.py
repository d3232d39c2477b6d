"""Shared pieces of the server-side SVG charts: the template draws the bars and ticks these lay out."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: str
    title: str


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


def nice_step(value: int, ticks: int = 4) -> int:
    """A round step (1, 2, 5, 10, 20, ...) so that ``ticks`` steps reach ``value``."""
    raw = max(value / ticks, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 5, 10) if raw <= m * magnitude)
