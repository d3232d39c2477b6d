"""Vision: screenshot triage of ticket attachments (OCR, optional CLIP) on its own Celery queue."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from helpdesk.env import env_float, env_int, env_str

# Screenshot analysis (OCR, CLIP) runs on its own queue and worker (Procfile `vision`, one at a time), so
# mail, escalations and indexing on the default queue never wait behind a flood of images.
VISION_QUEUE = env_str("VISION_QUEUE", "vision")
# Folder of an open-clip checkpoint (open_clip_config.json + open_clip_model.safetensors; `local-dir:` form).
# Empty: no CLIP, screenshots are classified from their text only.
VISION_CLIP_CHECKPOINT = env_str("VISION_CLIP_CHECKPOINT", "")
VISION_CLIP_THREADS = env_int("VISION_CLIP_THREADS", 0, minimum=0, maximum=64)
# Images above this many pixels are refused (decompression bombs); 40 MP fits a 5K screen capture.
VISION_MAX_PIXELS = env_int("VISION_MAX_PIXELS", 40_000_000, minimum=10_000)
VISION_MAX_UPLOAD_MB = env_int("VISION_MAX_UPLOAD_MB", 10, minimum=1)
VISION_THUMBNAIL_PX = env_int("VISION_THUMBNAIL_PX", 320, minimum=32, maximum=2048)
# OCR: images are read at most this many pixels on their long side; detection runs at VISION_OCR_DET_SIDE.
VISION_OCR_MAX_SIDE = env_int("VISION_OCR_MAX_SIDE", 2000, minimum=320, maximum=8000)
VISION_OCR_DET_SIDE = env_int("VISION_OCR_DET_SIDE", 960, minimum=320, maximum=4000)
VISION_OCR_THREADS = env_int("VISION_OCR_THREADS", 0, minimum=0, maximum=64)
VISION_OCR_MIN_CONFIDENCE = env_float("VISION_OCR_MIN_CONFIDENCE", 0.5)
# Tesseract (Debian's tesseract-ocr + tesseract-ocr-rus) reads Russian screenshots, which rapidocr cannot:
# the program, its page segmentation mode, and the language it reads where rapidocr found text it could not read.
VISION_TESSERACT_CMD = env_str("VISION_TESSERACT_CMD", "tesseract")
VISION_TESSERACT_PSM = env_int("VISION_TESSERACT_PSM", 3, minimum=0, maximum=13)
VISION_OCR_FALLBACK_LANGUAGE = env_str("VISION_OCR_FALLBACK_LANGUAGE", "rus")
# The Latin-script Tesseract language that reads again the words a Russian screen shows in Latin letters
# ("LOS", "PON", "Wi-Fi"), which the Russian model misreads; "" turns the second reading off.
VISION_TESSERACT_LATIN_LANGUAGE = env_str("VISION_TESSERACT_LATIN_LANGUAGE", "eng")
# Lines below this OCR confidence are kept as text but not classified; fewer letters than this: no text side.
VISION_CLASSIFY_MIN_CONFIDENCE = min(max(env_float("VISION_CLASSIFY_MIN_CONFIDENCE", 0.6), 0.0), 1.0)
VISION_MIN_TEXT_LETTERS = env_int("VISION_MIN_TEXT_LETTERS", 6, minimum=1)
# Weight of the text classifier when CLIP votes too (0..1); below VISION_LOW_CONFIDENCE the chip says "unsure".
VISION_TEXT_WEIGHT = env_float("VISION_TEXT_WEIGHT", 0.7)
VISION_LOW_CONFIDENCE = env_float("VISION_LOW_CONFIDENCE", 0.5)
for _name, _value in (
    ("VISION_TEXT_WEIGHT", VISION_TEXT_WEIGHT),
    ("VISION_LOW_CONFIDENCE", VISION_LOW_CONFIDENCE),
    ("VISION_OCR_MIN_CONFIDENCE", VISION_OCR_MIN_CONFIDENCE),
    ("VISION_CLASSIFY_MIN_CONFIDENCE", VISION_CLASSIFY_MIN_CONFIDENCE),
):
    if not 0.0 <= _value <= 1.0:
        raise ImproperlyConfigured(f"{_name}={_value} must be between 0 and 1")
# Characters of screenshot text added to a ticket's answer query and kept for its full-text search.
VISION_QUERY_CHARS = env_int("VISION_QUERY_CHARS", 600, minimum=0)
VISION_SEARCH_CHARS = env_int("VISION_SEARCH_CHARS", 20_000, minimum=0)
