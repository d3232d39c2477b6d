"""Uploaded question/answer pairs: JSON Lines or CSV, with the rows that cannot be used reported by number."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.files.storage import default_storage
from django.utils.translation import gettext_noop

from assistants.lora.sources.base import Pair
from assistants.models import Assistant

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 20000
MAX_QUESTION_CHARS = 4000
MAX_ANSWER_CHARS = 4000
QUESTION_KEYS = ("question", "instruction", "prompt", "input", "query")
ANSWER_KEYS = ("answer", "response", "completion", "output", "reply")
FORMATS = (".jsonl", ".json", ".ndjson", ".csv")


class UploadError(ValueError):
    """The file as a whole cannot be read (wrong type, not UTF-8, too large, no usable row)."""


@dataclass
class Parsed:
    pairs: list[Pair] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (row number, reason)
    rows: int = 0


def _pick(row: dict[str, Any], keys: tuple[str, ...]) -> Any:
    lowered = {str(k).strip().lower(): v for k, v in row.items()}
    return next((lowered[k] for k in keys if k in lowered), None)


@dataclass(frozen=True)
class _Unreadable:
    reason: str


def _pair(row: Any, number: int, parsed: Parsed, name: str) -> None:
    if isinstance(row, _Unreadable):
        parsed.rejected.append((number, row.reason))
        return
    if not isinstance(row, dict):
        parsed.rejected.append((number, "not an object with question and answer"))
        return
    question, answer = _pick(row, QUESTION_KEYS), _pick(row, ANSWER_KEYS)
    if not isinstance(question, str) or not question.strip():
        parsed.rejected.append((number, f"no question (one of: {', '.join(QUESTION_KEYS)})"))
    elif not isinstance(answer, str) or not answer.strip():
        parsed.rejected.append((number, f"no answer (one of: {', '.join(ANSWER_KEYS)})"))
    elif len(question) > MAX_QUESTION_CHARS or len(answer) > MAX_ANSWER_CHARS:
        parsed.rejected.append((number, f"longer than {MAX_ANSWER_CHARS} characters"))
    else:
        parsed.pairs.append(
            Pair(
                question=question.strip(),
                answer=answer.strip(),
                source=UploadedPairs.kind,
                group=f"upload:{number}",
                ref=f"{name} row {number}",
            )
        )


def parse_upload(name: str, data: bytes) -> Parsed:
    """Pairs of a JSONL or CSV file; raises ``UploadError`` when the file as a whole is unusable."""
    suffix = Path(name).suffix.lower()
    if suffix not in FORMATS:
        raise UploadError(f"{name}: use a .jsonl or .csv file (got {suffix or 'no extension'}).")
    if len(data) > MAX_BYTES:
        raise UploadError(f"{name} is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UploadError(f"{name} is not UTF-8 text (byte {exc.start}).") from None
    parsed = Parsed()
    if suffix == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        fields = {str(f).strip().lower() for f in reader.fieldnames or []}
        if not fields & set(QUESTION_KEYS) or not fields & set(ANSWER_KEYS):
            raise UploadError(f"{name}: the first row must name the columns, e.g. question,answer.")
        rows: Iterator[tuple[int, Any]] = ((n, row) for n, row in enumerate(reader, start=2))
    else:
        rows = iter(_json_rows(text))
    for number, row in rows:
        parsed.rows += 1
        if parsed.rows > MAX_ROWS:
            raise UploadError(f"{name} has more than {MAX_ROWS} rows.")
        _pair(row, number, parsed, name)
    if not parsed.pairs:
        reasons = "; ".join(f"row {n}: {why}" for n, why in parsed.rejected[:3])
        raise UploadError(f"{name} has no usable question/answer row" + (f" ({reasons})." if reasons else "."))
    return parsed


def _json_rows(text: str) -> list[tuple[int, Any]]:
    stripped = text.lstrip()
    if stripped.startswith("["):  # a JSON array of objects is accepted too
        try:
            return list(enumerate(json.loads(stripped), start=1))
        except json.JSONDecodeError as exc:
            raise UploadError(f"not valid JSON: {exc.msg} at line {exc.lineno}") from None
    rows: list[tuple[int, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            rows.append((number, _Unreadable(f"not valid JSON ({exc.msg})")))
    return rows


class UploadedPairs:
    kind = "upload"
    label = gettext_noop("Uploaded question/answer pairs")
    help = 'A .jsonl file ({"question": …, "answer": …} per line) or a .csv with question and answer columns.'

    def available(self, assistant: Assistant) -> int:
        return 0  # depends on the file

    def pairs(self, assistant: Assistant, options: dict[str, Any]) -> Iterator[Pair]:
        with default_storage.open(options["path"], "rb") as handle:
            yield from parse_upload(options.get("name", options["path"]), handle.read()).pairs


SOURCE = UploadedPairs()
