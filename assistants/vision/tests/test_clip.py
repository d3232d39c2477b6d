"""CLIP zero-shot with a tiny randomly initialised model: loads from a local-dir checkpoint, offline."""

from __future__ import annotations

import pytest

from assistants.vision import clip, pipeline


def test_clip_alone_classifies_an_image_without_text(with_clip, photo_jpeg, default_labels):
    result = pipeline.analyse(photo_jpeg, default_labels)
    assert result.source == "clip"
    assert set(result.scores) == {label.name for label in default_labels}
    assert sum(result.scores.values()) == pytest.approx(1.0, abs=1e-3)
    assert result.category == max(result.scores, key=result.scores.__getitem__)
    assert result.timings_ms["clip_ms"] > 0


def test_text_and_clip_together_say_both(with_clip, payment_png, default_labels, settings):
    result = pipeline.analyse(payment_png, default_labels)
    assert result.source == "both"
    weight = settings.VISION_TEXT_WEIGHT
    for name, score in result.scores.items():
        expected = weight * result.text_scores[name] + (1 - weight) * result.clip_scores[name]
        assert score == pytest.approx(expected, abs=2e-4)


def test_each_label_gets_an_ensemble_of_prompts(with_clip):
    model = clip._get_model()
    features = model.label_features({"a": "a declined card", "b": "a photo of a cat"})
    assert tuple(features.shape) == (2, 32)
    assert float(features.norm(dim=-1).min()) == pytest.approx(1.0, abs=1e-5)


def test_a_broken_checkpoint_leaves_ocr_working(settings, tmp_path, payment_png, default_labels):
    (tmp_path / "open_clip_config.json").write_text("{}")
    (tmp_path / "open_clip_model.safetensors").write_bytes(b"not weights")
    settings.VISION_CLIP_CHECKPOINT = str(tmp_path)
    result = pipeline.analyse(payment_png, default_labels)
    assert result.source == "ocr" and result.category == "payment_problem"
    assert "does not load" in result.clip_error


def test_missing_checkpoint_folder_is_reported(settings, tmp_path):
    settings.VISION_CLIP_CHECKPOINT = str(tmp_path / "nowhere")
    with pytest.raises(clip.ClipUnavailable, match=r"no open_clip_config\.json"):
        clip.check_checkpoint()
    settings.VISION_CLIP_CHECKPOINT = ""
    assert not clip.configured()
