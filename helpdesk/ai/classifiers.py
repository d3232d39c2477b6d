"""Text classifiers by kind, met on the ground floor.

An app that trains classifiers (datasets: the classifier of a dataset version) registers one from its
``AppConfig.ready()``; an app that needs a label (the assistants' request types) asks for it here by kind,
so neither names the other. With nothing registered, ``classify`` returns None and the caller uses its own
fallback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class Prediction(Protocol):
    """Read-only, so that a frozen dataclass is one."""

    @property
    def label(self) -> str: ...

    @property
    def confidence(self) -> float: ...

    @property
    def scores(self) -> dict[str, float]: ...


# (text, version_id=…) -> the prediction, or None when that classifier is not ready.
Classifier = Callable[..., Prediction | None]

_classifiers: dict[str, Classifier] = {}


def register(kind: str, classifier: Classifier) -> None:
    """Make ``classifier`` answer for ``kind`` (one per kind: a second registration replaces the first)."""
    _classifiers[kind] = classifier


def classify(kind: str, text: str, **options: object) -> Prediction | None:
    """The registered ``kind`` classifier's prediction for ``text``, or None if none is registered or ready."""
    classifier = _classifiers.get(kind)
    return classifier(text, **options) if classifier is not None else None
