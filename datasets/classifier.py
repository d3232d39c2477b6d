"""The text classifier trained from a version: logistic regression on the rows' sentence embeddings.

Training takes seconds (the embeddings are stored with the version's rows). Its accuracy and
macro-F1 on the version's eval split are kept, with nearest-neighbour labeling on the same
split as the baseline. Weights are stored as .npz (no pickle) under
``MEDIA_ROOT/<schema>/datasets/classifiers/``; each process keeps the models it has loaded.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from datasets.labeler import LinearModel, NeighbourModel, predictions
from datasets.models import Classifier, Version, VersionRow
from helpdesk.ai import EMBEDDING_DIMENSIONS, active_model_key, embedder
from helpdesk.tenants.db import connection

MAX_TEXTS = 100
logger = logging.getLogger(__name__)


def _split(version: Version, split: str, model: str) -> tuple[np.ndarray, list[str]]:
    rows = list(
        VersionRow.objects.filter(version=version, split=split)
        .order_by("position")
        .values_list("pk", "text", "label", "embedding", "embedding_model")
    )
    missing = [i for i, (_, _, _, vector, key) in enumerate(rows) if vector is None or key != model]
    vectors: list[Any] = [vector for _, _, _, vector, _ in rows]
    if missing:  # rows written before embeddings were kept, or with another model: embed them now
        for i, vector in zip(missing, embedder(model).embed([rows[i][1] for i in missing]), strict=True):
            vectors[i] = vector
    matrix = np.array(vectors, dtype=np.float32) if vectors else np.zeros((0, EMBEDDING_DIMENSIONS), dtype=np.float32)
    return matrix, [label for _, _, label, _, _ in rows]


def scores(truth: Sequence[str], predicted: Sequence[str]) -> dict[str, Any]:
    # heavy: loaded on first use (scikit-learn takes a second to import)
    from sklearn.metrics import accuracy_score, classification_report, f1_score

    if not truth:
        return {}
    report = classification_report(truth, predicted, output_dict=True, zero_division=0)
    per_label = {
        label: {k: round(float(v), 4) for k, v in values.items()}
        for label, values in report.items()
        if isinstance(values, dict) and label not in {"macro avg", "weighted avg"}
    }
    return {
        "accuracy": round(float(accuracy_score(truth, predicted)), 4),
        "macro_f1": round(float(f1_score(truth, predicted, average="macro", zero_division=0)), 4),
        "per_label": per_label,
    }


def classifier_train(*, version: Version) -> Classifier:
    """Train (or retrain) the classifier of ``version``; a version it cannot learn from fails with the reason."""
    classifier, _ = Classifier.objects.update_or_create(
        version=version, defaults={"status": Classifier.Status.TRAINING, "error": "", "heartbeat_at": timezone.now()}
    )
    try:
        return _train(classifier, version)
    except Exception as exc:
        logger.exception("training the classifier of version %s failed", version.pk)
        classifier.status = Classifier.Status.FAILED
        classifier.error = f"Training failed ({type(exc).__name__}: {exc}); retrain from the version's page."
        classifier.save(update_fields=["status", "error"])
        return classifier


def _train(classifier: Classifier, version: Version) -> Classifier:
    started = time.perf_counter()
    model_key = active_model_key()
    train_x, train_y = _split(version, "train", model_key)
    eval_x, eval_y = _split(version, "eval", model_key)
    if len(set(train_y)) < 2:
        classifier.status = Classifier.Status.FAILED
        classifier.error = "A classifier needs train rows of at least two labels."
        classifier.save(update_fields=["status", "error"])
        return classifier
    model = LinearModel.fit(train_x, train_y)
    metrics: dict[str, Any] = {}
    if eval_y:
        predicted = [p.label for p in predictions(model, model.predict_proba(eval_x))]
        neighbours = NeighbourModel(train_x, train_y)
        baseline = [p.label for p in predictions(neighbours, neighbours.predict_proba(eval_x))]
        metrics = {**scores(eval_y, predicted), "neighbours": scores(eval_y, baseline)}
        metrics["neighbours"].pop("per_label", None)
    name = f"datasets/classifiers/{version.pk}.npz"
    if default_storage.exists(name):
        default_storage.delete(name)
    classifier.file = default_storage.save(name, ContentFile(model.to_bytes()))
    classifier.labels = model.labels
    classifier.embedding_model = model_key
    classifier.metrics = metrics
    classifier.train_rows, classifier.eval_rows = len(train_y), len(eval_y)
    classifier.seconds = round(time.perf_counter() - started, 3)
    classifier.status, classifier.trained_at = Classifier.Status.READY, timezone.now()
    classifier.save()
    return classifier


_models: dict[tuple[str, int, str], LinearModel] = {}
_lock = threading.Lock()


def load(classifier: Classifier) -> LinearModel:
    key = (connection.schema_name, classifier.pk, str(classifier.trained_at))
    with _lock:
        model = _models.get(key)
    if model is None:
        with default_storage.open(classifier.file, "rb") as stream:
            model = LinearModel.from_bytes(stream.read())
        with _lock:
            _models[key] = model
    return model


@dataclass(frozen=True)
class Label:
    text: str
    label: str
    confidence: float
    scores: dict[str, float]


def classify(texts: Sequence[str], *, version: Version) -> list[Label]:
    """Labels for ``texts`` from the classifier of ``version`` (``ValidationError`` if it has none ready)."""
    classifier = Classifier.objects.filter(version=version, status=Classifier.Status.READY).first()
    if classifier is None:
        raise ValidationError(f"{version.tag} has no trained classifier yet.")
    model = load(classifier)
    # The texts go through the model the classifier was trained on, whatever the tenant uses now.
    vectors = embedder(classifier.embedding_model or None).embed(list(texts)) if texts else None
    proba = model.predict_proba(vectors) if vectors is not None else np.zeros((0, len(model.labels)))
    out = []
    for text, row in zip(texts, proba, strict=True):
        best = int(row.argmax())
        top = np.argsort(-row)[:3]
        out.append(Label(text, model.labels[best], round(float(row[best]), 4),
                         {model.labels[int(i)]: round(float(row[int(i)]), 4) for i in top}))  # fmt: skip
    return out


def classify_one(text: str, *, version_id: int) -> Label | None:
    """For the assistants: the label of one text, or None when that version has no classifier ready."""
    version = Version.objects.filter(pk=version_id).first()
    if version is None:
        return None
    try:
        return classify([text], version=version)[0]
    except ValidationError:
        return None
