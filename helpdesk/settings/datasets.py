"""Datasets: uploads, labeling and augmentation with the LLM, quality control, splits and versions."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from helpdesk.env import env_choice, env_float, env_int


def _fraction(name: str, default: float, low: float = 0.0, high: float = 1.0) -> float:
    value = env_float(name, default)
    if not low < value < high:
        raise ImproperlyConfigured(f"{name}={value} must be between {low} and {high} (exclusive)")
    return value


DATASETS_MAX_UPLOAD_MB = env_int("DATASETS_MAX_UPLOAD_MB", 50, minimum=1)
# Rows with a lower confidence are the ones the LLM is asked about (when a run asks it) and are not
# augmented; an augmented variant the relabel is less sure of is dropped.
DATASETS_LOW_CONFIDENCE = _fraction("DATASETS_LOW_CONFIDENCE", 0.5)
# The precision the automatic labels should reach: each label's threshold is chosen from out-of-fold
# predictions on the rows that already have labels; with too few of them nothing is labelled until the
# reviewer's decisions show the labeler reaches it.
DATASETS_TARGET_PRECISION = _fraction("DATASETS_TARGET_PRECISION", 0.95, 0.5, 1.0)
# After every this many review decisions the labeler retrains and labels the rows still waiting.
DATASETS_RETRAIN_EVERY = env_int("DATASETS_RETRAIN_EVERY", 10, minimum=1)
DATASETS_AUGMENT_VARIANTS = env_int("DATASETS_AUGMENT_VARIANTS", 3, minimum=1, maximum=10)
# Rows paraphrased by the LLM per run (the rest get deterministic variants): a 135M model on 2 cores
# writes ~3 paraphrases a second, so 10k rows through it would take hours.
DATASETS_AUGMENT_LLM_ROWS = env_int("DATASETS_AUGMENT_LLM_ROWS", 40, minimum=0)
# Unsure rows the labeler may ask the LLM about per run.
DATASETS_LLM_MAX_CALLS = env_int("DATASETS_LLM_MAX_CALLS", 200, minimum=0)
# Empty: LLM_PROVIDER; "extractive" turns the LLM off for labeling and augmentation.
DATASETS_LLM_PROVIDER = env_choice(
    "DATASETS_LLM_PROVIDER", "", {"", "llamacpp", "transformers", "ollama", "extractive"}
)
DATASETS_EVAL_FRACTION = _fraction("DATASETS_EVAL_FRACTION", 0.1, 0.0, 0.5)
DATASETS_MAX_VERSIONS = env_int("DATASETS_MAX_VERSIONS", 100, minimum=1)
# Labels with fewer rows are kept in train only (reported), as a stratified split needs some of each.
DATASETS_MIN_ROWS_PER_LABEL = env_int("DATASETS_MIN_ROWS_PER_LABEL", 5, minimum=2)
# Quality control of synthetic rows: cosine to the original in (min, max), edits in [min, max share of length].
DATASETS_QC_MIN_SIMILARITY = _fraction("DATASETS_QC_MIN_SIMILARITY", 0.3)
DATASETS_QC_MAX_SIMILARITY = _fraction("DATASETS_QC_MAX_SIMILARITY", 0.95)
DATASETS_QC_MIN_EDITS = env_int("DATASETS_QC_MIN_EDITS", 3, minimum=0)
DATASETS_QC_MAX_EDIT_SHARE = _fraction("DATASETS_QC_MAX_EDIT_SHARE", 0.8, 0.0, 10.0)
# Rows of train and eval more similar than this are near-duplicates: the eval row moves to train.
DATASETS_NEAR_DUPLICATE = _fraction("DATASETS_NEAR_DUPLICATE", 0.95)
DATASETS_MAX_TEXT_CHARS = env_int("DATASETS_MAX_TEXT_CHARS", 5000, minimum=100)
# Bounds on reading an uploaded file: the rows a run imports (a larger file is refused with this limit),
# and what one part of an .xlsx (or a Parquet row group) may unpack to; parts packed more than 100 times
# are refused too (a 194 KB .xlsx can hold 200 MB of shared strings, which openpyxl loads whole).
DATASETS_MAX_ROWS = env_int("DATASETS_MAX_ROWS", 200_000, minimum=1)
DATASETS_MAX_UNPACKED_MB = env_int("DATASETS_MAX_UNPACKED_MB", 100, minimum=1)
