"""Zero-shot image classification with open-clip, from a checkpoint folder configured by the server.

``VISION_CLIP_CHECKPOINT`` names a folder with ``open_clip_config.json`` and
``open_clip_model.safetensors`` (open-clip's ``local-dir:`` form; no weights are downloaded).
Each label's description goes through a prompt ensemble: the text embeddings of every
template are averaged and normalised, as in CLIP's paper. The model loads once per process.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from PIL import Image

from assistants.vision.defaults import PROMPT_TEMPLATES

LOCAL_DIR = "local-dir:"


class ClipUnavailable(Exception):
    pass


@dataclass(frozen=True)
class ClipScores:
    scores: dict[str, float]  # probability per label name
    elapsed_ms: float


def checkpoint_path() -> Path | None:
    """The configured checkpoint folder, or None when CLIP is not configured."""
    value = (settings.VISION_CLIP_CHECKPOINT or "").strip()
    if not value:
        return None
    return Path(value.removeprefix(LOCAL_DIR)).expanduser()


def check_checkpoint() -> str:
    """A short description of the configured model; ``ClipUnavailable`` when it is not there."""
    path = checkpoint_path()
    if path is None:
        raise ClipUnavailable("not configured (VISION_CLIP_CHECKPOINT is empty)")
    if not (path / "open_clip_config.json").is_file():
        raise ClipUnavailable(f"{path} has no open_clip_config.json")
    if not any((path / name).is_file() for name in ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")):
        raise ClipUnavailable(f"{path} has no open_clip_model.safetensors")
    return str(path)


class _Model:
    def __init__(self, path: Path) -> None:
        # heavy: loaded on first use (torch and open_clip take seconds to import)
        import open_clip
        import torch

        torch.set_num_threads(max(1, settings.VISION_CLIP_THREADS or torch.get_num_threads()))
        self.torch = torch
        self.model, _, self.preprocess = open_clip.create_model_and_transforms(f"{LOCAL_DIR}{path}")
        self.model.eval()
        self.tokenizer = open_clip.get_tokenizer(f"{LOCAL_DIR}{path}")
        self.path = path
        self._prompts: dict[str, Any] = {}

    def label_features(self, descriptions: dict[str, str]) -> Any:
        key = hashlib.sha256(repr(sorted(descriptions.items())).encode()).hexdigest()
        cached = self._prompts.get(key)
        if cached is None:
            torch = self.torch
            rows = []
            with torch.inference_mode():
                for description in descriptions.values():
                    prompts = [template.format(description.strip().rstrip(".")) for template in PROMPT_TEMPLATES]
                    features = self.model.encode_text(self.tokenizer(prompts))
                    features = features / features.norm(dim=-1, keepdim=True)
                    mean = features.mean(dim=0)
                    rows.append(mean / mean.norm())
            cached = torch.stack(rows)
            self._prompts = {key: cached}  # label sets change rarely; keep the current one only
        return cached

    def classify(self, image: Image.Image, descriptions: dict[str, str]) -> dict[str, float]:
        torch = self.torch
        text_features = self.label_features(descriptions)
        with torch.inference_mode():
            pixels = self.preprocess(image).unsqueeze(0)
            image_features = self.model.encode_image(pixels)
            image_features = image_features / image_features.norm(dim=-1, keepdim=True)
            scale = self.model.logit_scale.exp() if hasattr(self.model, "logit_scale") else torch.tensor(100.0)
            probabilities = (scale * image_features @ text_features.T).softmax(dim=-1).squeeze(0)
        return {name: float(p) for name, p in zip(descriptions, probabilities.tolist(), strict=True)}


_model: _Model | None = None
_lock = threading.Lock()


def _get_model() -> _Model:
    global _model
    path = Path(check_checkpoint())
    if _model is None or _model.path != path:
        try:
            _model = _Model(path)
        except Exception as exc:  # a broken checkpoint must not take the OCR side down with it
            raise ClipUnavailable(f"the CLIP checkpoint in {path} does not load: {type(exc).__name__}: {exc}") from exc
    return _model


def configured() -> bool:
    return checkpoint_path() is not None


def classify(image: Image.Image, descriptions: dict[str, str]) -> ClipScores:
    """Probability of each label (by name) for ``image``; ``ClipUnavailable`` when CLIP is not set up."""
    started = time.perf_counter()
    with _lock:
        scores = _get_model().classify(image, descriptions)
    return ClipScores(scores=scores, elapsed_ms=(time.perf_counter() - started) * 1000)
