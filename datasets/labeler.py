"""Label models on sentence embeddings: nearest neighbours, and logistic regression once there is enough data.

Both give a probability per label, so a row's confidence means the same thing whichever
model labeled it. Embeddings are unit vectors (``helpdesk.ai.embed``), so a dot product
is the cosine similarity. ``LinearModel`` keeps only its weights (saved as .npz, never pickled).
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

NEIGHBOURS = 10
# Cosine gaps between MiniLM neighbours are small; this temperature turns them into usable votes.
TEMPERATURE = 0.05
# Logistic regression needs a few rows of at least two labels; below this, neighbours label better.
MIN_ROWS_FOR_LINEAR = 30
MIN_PER_LABEL_FOR_LINEAR = 3
LINEAR_C = 10.0


class Model(Protocol):
    kind: str
    labels: list[str]

    def predict_proba(self, vectors: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float
    runner_up: str


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return np.asarray(exp / exp.sum(axis=1, keepdims=True))


class NeighbourModel:
    """Similarity-weighted votes of the ``k`` nearest labeled rows."""

    kind = "neighbours"

    def __init__(self, vectors: np.ndarray, labels: Sequence[str], k: int = NEIGHBOURS) -> None:
        self.labels = sorted(set(labels))
        index = {label: i for i, label in enumerate(self.labels)}
        self.vectors = np.asarray(vectors, dtype=np.float32)
        self.targets = np.array([index[label] for label in labels], dtype=np.int64)
        self.k = max(1, min(k, len(labels)))

    def predict_proba(self, vectors: np.ndarray, *, exclude_self: bool = False) -> np.ndarray:
        out = np.zeros((len(vectors), len(self.labels)), dtype=np.float32)
        for start in range(0, len(vectors), 1024):
            block = np.asarray(vectors[start : start + 1024], dtype=np.float32) @ self.vectors.T
            if exclude_self:  # leave-one-out over the model's own rows
                block[np.arange(len(block)), np.arange(start, start + len(block))] = -np.inf
            k = min(self.k, block.shape[1] - (1 if exclude_self else 0))
            if k <= 0:
                continue
            nearest = np.argpartition(-block, k - 1, axis=1)[:, :k]
            sims = np.take_along_axis(block, nearest, axis=1)
            weights = np.exp((sims - sims.max(axis=1, keepdims=True)) / TEMPERATURE)
            votes = out[start : start + len(block)]
            for label_index in range(len(self.labels)):
                votes[:, label_index] = (weights * (self.targets[nearest] == label_index)).sum(axis=1)
            votes /= np.maximum(votes.sum(axis=1, keepdims=True), 1e-12)
        return out


class LinearModel:
    """Multinomial logistic regression; prediction is a softmax over ``X @ coef.T + intercept``."""

    kind = "classifier"

    def __init__(self, labels: list[str], coef: np.ndarray, intercept: np.ndarray) -> None:
        self.labels = labels
        self.coef = np.asarray(coef, dtype=np.float32)
        self.intercept = np.asarray(intercept, dtype=np.float32)

    @classmethod
    def fit(cls, vectors: np.ndarray, labels: Sequence[str], *, c: float = LINEAR_C) -> LinearModel:
        # heavy: loaded on first use (scikit-learn takes a second to import)
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=c, max_iter=300)
        model.fit(vectors, list(labels))
        classes = [str(label) for label in model.classes_]
        coef, intercept = model.coef_, model.intercept_
        if len(classes) == 2:  # sklearn keeps one row for two classes: p(second) = sigmoid(x @ w + b)
            coef = np.vstack([-coef[0] / 2, coef[0] / 2])
            intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
        return cls(classes, coef, intercept)

    def predict_proba(self, vectors: np.ndarray) -> np.ndarray:
        return _softmax(np.asarray(vectors, dtype=np.float32) @ self.coef.T + self.intercept)

    def to_bytes(self) -> bytes:
        out = io.BytesIO()
        np.savez(out, labels=np.array(self.labels, dtype=str), coef=self.coef, intercept=self.intercept)
        return out.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> LinearModel:
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            return cls([str(label) for label in arrays["labels"]], arrays["coef"], arrays["intercept"])


def linear_possible(labels: Sequence[str]) -> bool:
    counts = Counter(labels)
    return (
        len(counts) >= 2
        and len(labels) >= MIN_ROWS_FOR_LINEAR
        and sum(n >= MIN_PER_LABEL_FOR_LINEAR for n in counts.values()) >= 2
    )


def train(vectors: np.ndarray, labels: Sequence[str], *, kind: str = "auto") -> Model:
    """Logistic regression when there is enough to learn from (or ``kind="classifier"``), else neighbours."""
    if not len(labels):
        raise ValueError("nothing to train on")
    if (kind == "classifier" or (kind == "auto" and linear_possible(labels))) and len(set(labels)) >= 2:
        return LinearModel.fit(vectors, labels)
    return NeighbourModel(vectors, labels)


def predictions(model: Model, proba: np.ndarray) -> list[Prediction]:
    if not len(proba):
        return []
    order = np.argsort(-proba, axis=1)
    out = []
    for row, ranked in zip(proba, order, strict=True):
        best = int(ranked[0])
        second = model.labels[int(ranked[1])] if len(ranked) > 1 else ""
        out.append(Prediction(model.labels[best], float(row[best]), second))
    return out


def out_of_fold(
    vectors: np.ndarray, labels: Sequence[str], *, folds: int = 5, seed: int = 0
) -> tuple[list[str], np.ndarray]:
    """Each row's label probabilities from a model that never saw it (to check existing labels).

    Small sets use leave-one-out neighbours; larger ones k-fold logistic regression. A label
    seen in one row only cannot be confirmed by any other row, which is what a reviewer should know.
    """
    all_labels = sorted(set(labels))
    if not linear_possible(labels):
        return all_labels, NeighbourModel(vectors, labels).predict_proba(vectors, exclude_self=True)
    # heavy: loaded on first use (scikit-learn takes a second to import)
    from sklearn.model_selection import KFold

    proba = np.zeros((len(labels), len(all_labels)), dtype=np.float32)
    targets = np.array(labels)
    column = {label: i for i, label in enumerate(all_labels)}
    splitter = KFold(n_splits=min(folds, len(labels)), shuffle=True, random_state=seed)
    for train_index, test_index in splitter.split(vectors):
        model = train(vectors[train_index], list(targets[train_index]))
        part = model.predict_proba(vectors[test_index])
        for j, label in enumerate(model.labels):
            proba[test_index, column[label]] = part[:, j]
    return all_labels, proba


# --- Calibration: how sure is sure enough, measured on the rows that already have labels ---

# A label predicted for fewer labelled rows than this has no threshold of its own: the pooled one applies.
MIN_SUPPORT_PER_LABEL = 15
NEVER = 1.01  # a threshold no probability reaches


@dataclass(frozen=True)
class Calibration:
    """Per-label auto-label thresholds that reach ``target`` precision out of fold, and P(right | confidence).

    ``thresholds[label]`` is the lowest confidence at which the out-of-fold predictions of ``label``
    were still right ``target`` of the time (``precision[label]`` is the precision measured there);
    ``curve`` maps a confidence to the share of out-of-fold predictions at that confidence that were right.
    """

    target: float
    thresholds: dict[str, float]
    precision: dict[str, float]
    pooled_threshold: float
    pooled_precision: float
    curve_x: tuple[float, ...]
    curve_y: tuple[float, ...]
    rows: int

    def threshold(self, label: str) -> float:
        return self.thresholds.get(label, self.pooled_threshold)

    def expected_precision(self, label: str) -> float:
        return self.precision.get(label, self.pooled_precision)

    def accepts(self, label: str, confidence: float) -> bool:
        return confidence >= self.threshold(label)

    def probability_right(self, confidence: np.ndarray | float) -> np.ndarray:
        if not self.curve_x:
            return np.asarray(confidence, dtype=np.float64)
        return np.interp(np.asarray(confidence, dtype=np.float64), self.curve_x, self.curve_y)

    def as_dict(self) -> dict[str, object]:
        return {
            "target": self.target,
            "thresholds": {k: round(v, 4) for k, v in sorted(self.thresholds.items())},
            "precision": {k: round(v, 4) for k, v in sorted(self.precision.items())},
            "pooled_threshold": round(self.pooled_threshold, 4),
            "pooled_precision": round(self.pooled_precision, 4),
            "curve_x": [round(x, 4) for x in self.curve_x],
            "curve_y": [round(y, 4) for y in self.curve_y],
            "rows": self.rows,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Calibration:
        return cls(
            target=float(data["target"]),
            thresholds={str(k): float(v) for k, v in data.get("thresholds", {}).items()},
            precision={str(k): float(v) for k, v in data.get("precision", {}).items()},
            pooled_threshold=float(data.get("pooled_threshold", NEVER)),
            pooled_precision=float(data.get("pooled_precision", 0.0)),
            curve_x=tuple(float(x) for x in data.get("curve_x", ())),
            curve_y=tuple(float(y) for y in data.get("curve_y", ())),
            rows=int(data.get("rows", 0)),
        )


def _threshold_for(confidence: np.ndarray, right: np.ndarray, target: float) -> tuple[float, float]:
    """The lowest confidence whose predictions at or above it are right ``target`` of the time, and that precision."""
    if not len(confidence):
        return NEVER, 0.0
    order = np.argsort(-confidence, kind="stable")
    ranked, hits = confidence[order], right[order].astype(np.float64)
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    # Only a cut between two distinct confidences can be applied to new rows.
    cut = np.append(ranked[1:] < ranked[:-1], True)
    good = np.flatnonzero((precision >= target) & cut)
    if not len(good):
        return NEVER, float(precision[0]) if len(precision) else 0.0
    k = int(good[-1])
    return float(ranked[k]), float(precision[k])


def calibrate(labels: Sequence[str], proba: np.ndarray, given: Sequence[str], *, target: float) -> Calibration:
    """Thresholds per predicted label from out-of-fold probabilities ``proba`` (columns: ``labels``) of rows
    whose labels are ``given``."""
    # heavy: loaded on first use (scikit-learn takes a second to import)
    from sklearn.isotonic import IsotonicRegression

    best = proba.argmax(axis=1)
    confidence = proba.max(axis=1).astype(np.float64)
    predicted = np.array([labels[i] for i in best])
    right = predicted == np.array(list(given))
    pooled_threshold, pooled_precision = _threshold_for(confidence, right, target)
    thresholds, precision = {}, {}
    for label in labels:
        mine = predicted == label
        if mine.sum() >= MIN_SUPPORT_PER_LABEL:
            thresholds[label], precision[label] = _threshold_for(confidence[mine], right[mine], target)
    curve_x: tuple[float, ...] = ()
    curve_y: tuple[float, ...] = ()
    if len(set(right.tolist())) > 1:
        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(confidence, right.astype(float))
        curve_x = tuple(float(x) for x in iso.X_thresholds_)
        curve_y = tuple(float(y) for y in iso.y_thresholds_)
    elif len(right):
        curve_x, curve_y = (0.0, 1.0), (float(right[0]),) * 2
    return Calibration(target, thresholds, precision, pooled_threshold, pooled_precision, curve_x, curve_y, len(given))


def leave_one_out_nearest(vectors: np.ndarray) -> np.ndarray:
    """Each row's cosine similarity to its nearest other row (how close a typical row is to the rest)."""
    out = np.zeros(len(vectors), dtype=np.float32)
    for start in range(0, len(vectors), 1024):
        block = vectors[start : start + 1024] @ vectors.T
        block[np.arange(len(block)), np.arange(start, start + len(block))] = -np.inf
        out[start : start + 1024] = block.max(axis=1)
    return out


# --- Disputes: which given labels are probably wrong, and how sure that is ---------------------------


@dataclass(frozen=True)
class LabelNoise:
    """Per labelled row, the probability that its given label is wrong; which rows to dispute.

    ``noise_rate`` is the estimated share of wrong labels; ``flagged`` the rows to dispute, the most
    probably wrong first until they hold ``expected_recall`` of the expected wrong labels;
    ``expected_precision`` is the share of the disputes expected to be wrong labels.
    """

    wrong: np.ndarray
    noise_rate: float
    temperature: float
    flagged: np.ndarray
    expected_precision: float | None
    expected_recall: float | None

    @property
    def estimated_wrong_labels(self) -> float:
        return self.noise_rate * len(self.wrong)


def _tempered(log_proba: np.ndarray, temperature: float) -> np.ndarray:
    return _softmax(log_proba / temperature)


def noise_rate(proba: np.ndarray, own: np.ndarray) -> float:
    """Share of given labels that look wrong by the confident joint (Northcutt et al., "Confident learning").

    A row counts when another label's probability reaches that label's own threshold: the mean
    probability of the label over the rows given it. Measured on sets with planted wrong labels,
    this count is close to the planted one, where the posterior's own fixed point falls short.
    """
    k = proba.shape[1]
    thresholds = np.array([proba[own == j, j].mean() if (own == j).any() else np.inf for j in range(k)])
    above = proba >= thresholds
    above[np.arange(len(own)), own] = False
    return float(np.clip(above.any(axis=1).mean(), 1e-4, 0.5))


def label_noise(labels: Sequence[str], proba: np.ndarray, given: Sequence[str], *, recall: float,
                floor: float) -> LabelNoise:  # fmt: skip
    """Out-of-fold ``proba`` (columns: ``labels``) against the ``given`` labels, under uniform label noise.

    The probabilities are made honest about the given labels (one temperature, fitted by likelihood) and
    the share ``e`` of wrong labels is estimated (``noise_rate``); a given label ``g`` is then wrong with
    probability ``(1 - q_g) e / (K - 1) / (q_g (1 - e) + (1 - q_g) e / (K - 1))``. Rows whose predicted
    label differs from the given one are disputed, most probably wrong first, until they hold ``recall`` of
    the expected wrong labels among those rows (none below ``floor``). The expected precision is the
    expected number of wrong labels among the disputes over their number.
    """
    # heavy: loaded on first use (scipy's optimiser)
    from scipy.optimize import minimize_scalar

    k = len(labels)
    empty = np.zeros(len(given), dtype=bool)
    if k < 2 or not len(given):
        return LabelNoise(np.zeros(len(given)), 0.0, 1.0, empty, None, None)
    column = {label: j for j, label in enumerate(labels)}
    own = np.array([column[g] for g in given])
    proba = np.asarray(proba, dtype=np.float64)
    logs = np.log(np.clip(proba, 1e-9, 1.0))
    rows = np.arange(len(own))

    def loss(temperature: float) -> float:
        return float(-np.log(np.clip(_tempered(logs, temperature)[rows, own], 1e-12, 1.0)).mean())

    temperature = float(minimize_scalar(loss, bounds=(0.2, 10.0), method="bounded").x)
    q = _tempered(logs, temperature)[rows, own]
    rate = noise_rate(proba, own)
    other = (1.0 - q) * rate / (k - 1)
    wrong = other / np.maximum(q * (1.0 - rate) + other, 1e-12)
    candidates = np.flatnonzero((proba.argmax(axis=1) != own) & (wrong >= floor))
    flagged = empty.copy()
    if not len(candidates) or wrong.sum() <= 0:
        return LabelNoise(wrong, rate, temperature, flagged, None, None)
    ranked = candidates[np.argsort(-wrong[candidates], kind="stable")]
    held = np.cumsum(wrong[ranked]) / wrong[candidates].sum()
    count = min(int(np.searchsorted(held, recall)) + 1, len(ranked))
    flagged[ranked[:count]] = True
    expected_recall = float(wrong[flagged].sum() / wrong.sum())
    expected_precision = min(1.0, rate * len(own) * expected_recall / count)
    return LabelNoise(wrong, rate, temperature, flagged, expected_precision, expected_recall)


# --- Before there is a calibration: the reviewers' decisions as evidence of the labeler's accuracy ---------

# The one-sided confidence of the lower bound on the share of right suggestions: at 0.8, 32 right of 32 reach
# 0.95 (31 of 32 reach 0.91).
AGREEMENT_CONFIDENCE = 0.8
AGREEMENT_FOLDS = 5


def agreement_lower_bound(matched: int, decided: int, *, confidence: float = AGREEMENT_CONFIDENCE) -> float:
    """The Clopper-Pearson lower bound on the share of right suggestions, from ``matched`` right of ``decided``."""
    if not 0 <= matched <= decided:
        raise ValueError(f"matched ({matched}) must be between 0 and decided ({decided})")
    if matched == 0:
        return 0.0
    # heavy: loaded on first use (scipy.stats takes a second to import)
    from scipy.stats import beta

    return float(beta.ppf(1.0 - confidence, matched, decided - matched + 1))


@dataclass(frozen=True)
class Agreement:
    """How often the labeler matched the reviewers' decisions, and from which confidence that is enough to label.

    ``threshold`` is the lowest confidence at which the lower bound on the share of matched decisions at or
    above it reaches ``target`` (``NEVER`` while none does); a label matched there less than ``target`` of
    the time, or never, is not labelled.
    """

    matched: int
    decided: int
    target: float
    threshold: float
    per_label: dict[str, tuple[int, int]]

    @property
    def reached(self) -> bool:
        return self.threshold < NEVER

    def accepts(self, label: str, confidence: float) -> bool:
        matched, decided = self.per_label.get(label, (0, 0))
        return confidence >= self.threshold and matched > 0 and matched >= self.target * decided

    def as_dict(self) -> dict[str, object]:
        return {"matched": self.matched, "decided": self.decided, "target": self.target,
                "threshold": round(self.threshold, 4), "reached": self.reached,
                "per_label": {label: list(pair) for label, pair in sorted(self.per_label.items())}}  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict) -> Agreement:
        return cls(int(data["matched"]), int(data["decided"]), float(data["target"]), float(data["threshold"]),
                   {str(k): (int(v[0]), int(v[1])) for k, v in data.get("per_label", {}).items()})  # fmt: skip


def agreement(predicted: Sequence[str], confidence: Sequence[float], decided: Sequence[str], *,
              target: float) -> Agreement:  # fmt: skip
    """Predictions (label, confidence) of rows a reviewer decided (``decided``: the label given, "" if rejected)."""
    right = np.array([p == d != "" for p, d in zip(predicted, decided, strict=True)], dtype=bool)
    scores = np.asarray(confidence, dtype=np.float64)
    order = np.argsort(-scores, kind="stable")
    threshold, hits = NEVER, np.cumsum(right[order])
    for n in range(len(order), 0, -1):  # the lowest cut first: the most rows it may label
        cut_here = n == len(order) or scores[order[n]] < scores[order[n - 1]]
        if cut_here and agreement_lower_bound(int(hits[n - 1]), n) >= target:
            threshold = float(scores[order[n - 1]])
            break
    per_label: dict[str, tuple[int, int]] = {}
    for label, score, ok in zip(predicted, scores, right, strict=True):
        if score >= threshold:
            matched, count = per_label.get(label, (0, 0))
            per_label[label] = (matched + int(ok), count + 1)
    return Agreement(int(right.sum()), len(right), target, threshold, per_label)


def decisions_agreement(
    vectors: np.ndarray, labels: Sequence[str], decided: Sequence[bool], *, target: float, seed: int = 0
) -> Agreement:
    """How a model trained on the other labelled rows labels each row a reviewer decided (k-fold over those).

    ``vectors``/``labels``: every labelled row ("" for a rejected one); ``decided``: which of them a reviewer
    decided on in the queue. The queue's rows are what the model will label, so its accuracy is measured there,
    not on the rows labelled in the file (which may hold only some of the labels).
    """
    mine = np.flatnonzero(np.asarray(decided, dtype=bool))
    targets = np.array(list(labels), dtype=object)
    if not len(mine):
        return Agreement(0, 0, target, NEVER, {})
    predicted: list[str] = [""] * len(mine)
    confidence = np.zeros(len(mine))
    folds = np.arange(len(mine)) % min(AGREEMENT_FOLDS, len(mine))
    np.random.default_rng(seed).shuffle(folds)
    for fold in np.unique(folds):
        held = mine[folds == fold]
        rest = np.setdiff1d(np.flatnonzero(targets != ""), held)
        if len({targets[i] for i in rest}) < 2:
            continue  # nothing to learn from without these rows: they count as wrong
        model = train(vectors[rest], [str(targets[i]) for i in rest])
        for position, prediction in zip(np.flatnonzero(folds == fold), predictions(model, model.predict_proba(
                vectors[held])), strict=True):  # fmt: skip
            predicted[position], confidence[position] = prediction.label, prediction.confidence
    return agreement(predicted, confidence.tolist(), [str(targets[i]) for i in mine], target=target)
