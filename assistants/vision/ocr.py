"""Text in images: rapidocr (PP-OCR detection + recognition on onnxruntime, models inside the wheel).

Its bundled recogniser reads Latin script only; ``reading`` decides when Tesseract reads too.

One engine per process, loaded on first use; calls are serialised because one engine already
uses every core. ``pick_errors`` finds the error codes and error messages among the lines.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np
from django.conf import settings
from PIL import Image


@dataclass(frozen=True)
class Line:
    text: str
    confidence: float
    box: list[int]  # x0, y0, x1, y1

    def as_dict(self) -> dict[str, object]:
        return {"text": self.text, "confidence": round(self.confidence, 3), "box": self.box}


@dataclass(frozen=True)
class OcrResult:
    lines: list[Line]
    elapsed_ms: float
    scale: float = 1.0  # the image was read at this scale of its size
    timings_ms: dict[str, float] = field(default_factory=dict)
    engine: str = "rapidocr"
    # Text boxes found, including those whose reading was too unsure to keep, and their heights (pixels).
    detected: int = 0
    box_heights: list[int] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


class OcrUnavailable(Exception):
    pass


_engine: Any = None
_lock = threading.Lock()


def engine_version() -> str:
    try:
        return f"rapidocr {version('rapidocr')} (onnxruntime {version('onnxruntime')})"
    except PackageNotFoundError as exc:
        raise OcrUnavailable(f"{exc.name} is not installed") from None


def _get_engine() -> Any:
    global _engine
    if _engine is None:
        try:
            # heavy: loaded on first use (rapidocr loads onnxruntime); optional, so a missing one is reported
            from rapidocr import RapidOCR
        except ImportError as exc:
            raise OcrUnavailable(f"rapidocr cannot be imported: {exc}") from exc
        params: dict[str, Any] = {
            "Global.log_level": "error",
            # Screenshots are upright: the 180° text classifier only costs time.
            "Global.use_cls": False,
            # Every box is kept and filtered here: how many boxes were unreadable tells a script it lacks.
            "Global.text_score": 0.0,
            "Det.limit_type": "max",
            "Det.limit_side_len": settings.VISION_OCR_DET_SIDE,
        }
        if settings.VISION_OCR_THREADS:
            params["EngineConfig.onnxruntime.intra_op_num_threads"] = settings.VISION_OCR_THREADS
        _engine = RapidOCR(params=params)
    return _engine


def read_text(image: Image.Image) -> OcrResult:
    """The text lines of ``image`` (RGB), top to bottom and left to right, with their confidence."""
    scale = 1.0
    longest = max(image.size)
    if longest > settings.VISION_OCR_MAX_SIDE:
        scale = settings.VISION_OCR_MAX_SIDE / longest
        image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)
    array = np.asarray(image)[:, :, ::-1].copy()  # rapidocr reads BGR arrays, as OpenCV does
    with _lock:
        engine = _get_engine()
        started, cpu_started = time.perf_counter(), time.process_time()
        output = engine(array)
        cpu_ms = (time.process_time() - cpu_started) * 1000
    elapsed = (time.perf_counter() - started) * 1000
    lines = []
    heights = []
    if output.txts:
        for text, score, box in zip(output.txts, output.scores, output.boxes, strict=True):
            points = np.asarray(box) / scale
            x0, y0 = points.min(axis=0)
            x1, y1 = points.max(axis=0)
            heights.append(int(y1 - y0))
            text = str(text).strip()
            if not text or score < settings.VISION_OCR_MIN_CONFIDENCE:
                continue
            lines.append(Line(text=text, confidence=float(score), box=[int(x0), int(y0), int(x1), int(y1)]))
    lines.sort(key=lambda line: (round(line.box[1] / 12), line.box[0]))
    stages = dict(zip(("det", "cls", "rec"), getattr(output, "elapse_list", None) or (), strict=False))
    timings = {name: round(seconds * 1000, 1) for name, seconds in stages.items() if seconds is not None}
    timings["cpu"] = round(cpu_ms, 1)  # CPU time of all its threads: comparable on a busy machine
    return OcrResult(
        lines=lines, elapsed_ms=elapsed, scale=scale, timings_ms=timings, detected=len(heights), box_heights=heights
    )


# --- Error codes and messages ----------------------------------------------------------------------

_CODE_PATTERNS = [
    re.compile(r"\b[0O]x[0-9A-Fa-f]{4,16}\b"),  # Windows HRESULTs, 0x80070005 (OCR often reads the 0 as O)
    re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+){1,}\b"),  # ERR_CONNECTION_REFUSED, CARD_DECLINED
    re.compile(r"\b[A-Z]{1,6}-?\d{2,6}\b"),  # E42, ERR-1042, AUTH401, PAY-5003
    re.compile(r"\b[A-Za-z]+(?:Exception|Error)\b"),  # NullPointerException, TypeError
    # HTTP 502, Error 404, Ошибка 404, код 500
    re.compile(r"\b(?:HTTP|Error|error|status|code|Code|Ошибка|ошибка|Код|код|Статус|статус)\s*:?\s*([1-5]\d\d)\b"),
    re.compile(r"^\s*([45]\d\d)\b(?=\s+[A-Z])"),  # "502 Bad Gateway"
]
_NOT_CODES = {"HTTP", "HTTPS", "UTF-8", "ISO-8601", "COVID-19"}
_ERROR_WORDS = re.compile(
    r"\b(error|errors|fail|failed|failure|declined|denied|invalid|unable|cannot|can't|couldn't|could not|"
    r"not found|timed out|timeout|expired|refused|unavailable|exception|crash|crashed|went wrong|incorrect|"
    r"rejected|insufficient|forbidden|unauthori[sz]ed|not allowed|problem|unsuccessful|stopped working|"
    r"try again|not supported|locked|blocked|missing|required|does not match|do not match|bad gateway|"
    r"server error|not responding|no connection|offline)\b",
    re.IGNORECASE,
)
# The same in Russian, by word stems (Russian inflects: отклонена, отклонён, отклонено).
_RUSSIAN_ERROR_WORDS = re.compile(
    r"(?<![^\W\d_])(ошибк|ошибочн|сбой|сбоя|отклон|отказ|недоступ|не удалось|не удаётся|не удается|невозможно|"
    r"не может|не найден|не прошл|не выполнен|не отвечает|нет соединения|нет подключения|нет доступа|"
    r"неверн|неправильн|некорректн|недействител|недопустим|недостаточно|истёк|истек|просрочен|заблокир|"
    r"запрещ|не поддерживается|обязательн|не совпада|проблем|повторите попытку|попробуйте (?:снова|ещё|еще)|"
    r"превышен|прервано|отменен|отменён|не подключено|сбой оплаты)",
    re.IGNORECASE,
)


def has_code(line: str) -> bool:
    """Whether ``line`` carries an error code (``pick_errors``' patterns)."""
    return bool(pick_errors([line])[0])


def is_error_line(line: str) -> bool:
    """A line that says something failed: error words (English or Russian) or an error code."""
    return bool(_ERROR_WORDS.search(line) or _RUSSIAN_ERROR_WORDS.search(line)) or has_code(line)


def pick_errors(lines: list[str]) -> tuple[list[str], list[str]]:
    """(error codes, error messages) among ``lines``: codes in order of appearance, each once."""
    codes: list[str] = []
    messages: list[str] = []
    for line in lines:
        for pattern in _CODE_PATTERNS:
            for match in pattern.finditer(line):
                code = (match.group(1) if match.groups() else match.group(0)).strip()
                if code.startswith("Ox"):
                    code = "0x" + code[2:]
                if code in _NOT_CODES or code in codes or (code.isdigit() and not pattern.groups):
                    continue
                codes.append(code)
        if (_ERROR_WORDS.search(line) or _RUSSIAN_ERROR_WORDS.search(line)) and line not in messages:
            messages.append(line[:300])
    return codes[:20], messages[:20]
