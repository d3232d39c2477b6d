"""Reading tables from uploaded files (CSV, XLSX, JSON, JSONL, Parquet) and writing splits (JSONL, CSV, Parquet).

Every reader yields rows as ``dict[str, str]`` keyed by the header, values as text, so
the ETL step treats all formats alike. A file that cannot be read raises ``FormatError``
with a sentence a person can act on.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, islice
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from datasets.jsonstream import JsonStreamError, list_items

FORMATS = ("csv", "xlsx", "json", "jsonl", "parquet")
EXTENSIONS = {".csv": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".json": "json", ".jsonl": "jsonl",
              ".ndjson": "jsonl", ".parquet": "parquet"}  # fmt: skip
ACCEPTED = ", ".join(sorted(EXTENSIONS))
DOWNLOAD_FORMATS = ("jsonl", "csv", "parquet")
PREVIEW_ROWS = 10
# csv's default limit (128 KB) rejects long chat transcripts in one cell.
csv.field_size_limit(16 * 1024 * 1024)


class FormatError(ValueError):
    """The file cannot be read as a table; the message says why."""


class TooLarge(FormatError):
    """The file has more rows, or unpacks to more, than this server takes; the message names the limit."""


def format_of(filename: str) -> str:
    name = filename.lower()
    for extension, kind in EXTENSIONS.items():
        if name.endswith(extension):
            return kind
    raise FormatError(
        _("%(filename)s is not a supported type; upload one of: %(accepted)s.")
        % {"filename": filename, "accepted": ACCEPTED}
    )


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: Iterator[dict[str, str]]
    delimiter: str = ""  # the one a CSV was split on


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _header(raw: Sequence[Any]) -> list[str]:
    """Column names: stripped, blanks named column_N, repeats suffixed so that none is lost."""
    names: list[str] = []
    for index, value in enumerate(raw, start=1):
        name = cell(value).strip().lstrip("\ufeff") or f"column_{index}"
        base, n = name, 2
        while name in names:
            name, n = f"{base}_{n}", n + 1
        names.append(name)
    return names


# How much of a file the readers look at before they commit to a way of reading it. The sniffing of
# delimiters is kept to a few KB on purpose: ``csv.Sniffer`` is quadratic on crafted input (64 KB of
# ``\n"`` takes minutes of one core, holding the GIL, so every thread of a web worker froze).
HEAD_BYTES = 1024 * 1024
SNIFF_CHARS = 8192
SNIFF_ROWS = 50
# JSON and JSONL rows may each have other keys: the columns are those of the first rows.
COLUMN_LOOKAHEAD = 100
DELIMITERS = {"comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|"}
DELIMITER_NAMES = {char: name for name, char in DELIMITERS.items()}
# A zip member (a part of an .xlsx) above this size unpacks to more than this many times its packed size
# only when it is made to: ordinary sheets and shared strings pack 5-20 times.
ZIP_MAX_RATIO = 100
ZIP_RATIO_FROM_BYTES = 10 * 1024 * 1024


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:,.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:,.0f} KB"


class _Borrowed(io.RawIOBase):
    """A read-only view of a binary stream that its reader may close without closing the stream itself."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._stream.seek(offset, whence)

    def tell(self) -> int:
        return self._stream.tell()

    def readinto(self, buffer: Any) -> int:
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _peek(stream: IO[bytes], size: int) -> bytes:
    """The first ``size`` bytes of ``stream``, which is left at its start."""
    stream.seek(0)
    head = stream.read(size)
    stream.seek(0)
    return head


def _encoding_of(head: bytes, whole: bool) -> str:
    """UTF-8 when the head of the file decodes as such (a cut character at its end is fine), else a guess."""
    try:
        codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=whole)
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    # heavy: loaded on first use (charset detection only for files that are not UTF-8)
    from charset_normalizer import from_bytes

    best = from_bytes(head).best()
    if best is None:
        raise FormatError(_("The file is not text in any encoding we recognise (is it really a CSV?)."))
    return best.encoding


def _text(stream: IO[bytes], *, what: str = gettext_noop("CSV")) -> io.TextIOWrapper:
    """The file as text, decoded while it is read (never all at once)."""
    head = _peek(stream, HEAD_BYTES)
    if b"\x00" in head[:4096]:
        raise FormatError(_("The file is binary, not a %(what)s (it contains NUL bytes).") % {"what": _(what)})
    encoding = _encoding_of(head, whole=len(head) < HEAD_BYTES)
    return io.TextIOWrapper(io.BufferedReader(_Borrowed(stream)), encoding=encoding, errors="replace", newline="")


def guess_delimiter(sample: str) -> str:
    """The delimiter that splits the first rows of ``sample`` into the same number of columns (most often).

    Linear in the sample: each candidate is tried with the C csv reader on at most ``SNIFF_ROWS`` rows.
    A single column (or no agreement at all) reads as comma-separated.
    """
    if len(sample) >= SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n") + 1]  # no half row at the end
    best, best_score = ",", (0.0, 1)
    for delimiter in DELIMITERS.values():
        try:
            rows = [row for row in islice(csv.reader(io.StringIO(sample), delimiter=delimiter), SNIFF_ROWS) if row]
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        score = (sum(len(row) == width for row in rows) / len(rows), width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def delimiter_of(choice: str) -> str:
    """The delimiter a person picked, by name (``semicolon``) or as the character; empty for automatic."""
    choice = (choice or "").strip(" ").lower()
    if choice in {"", "auto"}:
        return ""
    if choice in DELIMITERS:
        return DELIMITERS[choice]
    if choice in DELIMITER_NAMES:
        return choice
    raise FormatError(
        _("%(choice)r is not a delimiter we read; pick auto, %(names)s.")
        % {"choice": choice, "names": ", ".join(DELIMITERS)}
    )


def read_csv(stream: IO[bytes], *, delimiter: str = "") -> Table:
    text = _text(stream)
    delimiter = delimiter or guess_delimiter(text.read(SNIFF_CHARS))
    text.seek(0)
    reader = csv.reader(text, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise FormatError(_("The file is empty.")) from None
    except csv.Error as exc:
        raise FormatError(_("The CSV cannot be read: %(error)s.") % {"error": exc}) from None
    columns = _header(header)

    def rows() -> Iterator[dict[str, str]]:
        try:
            for values in reader:
                if not any(v.strip() for v in values):
                    continue
                yield dict(zip(columns, (values + [""] * len(columns))[: len(columns)], strict=True))
        except csv.Error as exc:
            raise FormatError(
                _("The CSV is malformed near line %(line)s: %(error)s.") % {"line": reader.line_num, "error": exc}
            ) from None

    return Table(columns, rows(), delimiter=delimiter)


def check_zip_members(stream: IO[bytes], *, max_bytes: int, what: str = gettext_noop("Excel file")) -> None:
    """Refuse a zip whose members would unpack to more than ``max_bytes`` each, or far more than they pack.

    The sizes come from the archive's directory; Python's zipfile never unpacks more than a member
    declares (a lying member fails its CRC check), so this bounds what openpyxl will read.
    """
    try:
        with zipfile.ZipFile(stream) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FormatError(
            _("The %(what)s cannot be read (%(error)s): is it a valid .xlsx?")
            % {"what": _(what), "error": type(exc).__name__}
        ) from None
    finally:
        stream.seek(0)
    for member in members:
        if member.file_size > max_bytes:
            raise TooLarge(
                _(
                    "The %(what)s is refused: its part %(part)s unpacks to %(size)s; "
                    "the limit is %(limit)s per part (DATASETS_MAX_UNPACKED_MB)."
                )
                % {
                    "what": _(what),
                    "part": member.filename,
                    "size": _megabytes(member.file_size),
                    "limit": _megabytes(max_bytes),
                }
            )
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > ZIP_RATIO_FROM_BYTES and ratio > ZIP_MAX_RATIO:
            raise TooLarge(
                _(
                    "The %(what)s is refused: its part %(part)s unpacks to %(size)s from %(packed)s (%(ratio)s times); "
                    "parts that pack more than %(max_ratio)s times are refused as a likely zip bomb."
                )
                % {
                    "what": _(what),
                    "part": member.filename,
                    "size": _megabytes(member.file_size),
                    "packed": _megabytes(member.compress_size),
                    "ratio": f"{ratio:,.0f}",
                    "max_ratio": ZIP_MAX_RATIO,
                }
            )


def read_xlsx(stream: IO[bytes], *, max_unpacked: int) -> Table:
    # heavy: loaded on first use (openpyxl, only for XLSX files)
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    check_zip_members(stream, max_bytes=max_unpacked)
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise FormatError(
            _("The Excel file cannot be read (%(error)s): is it a valid .xlsx?") % {"error": type(exc).__name__}
        ) from None
    sheet = next((ws for ws in workbook.worksheets if ws.max_row and ws.max_row > 0), None)
    if sheet is None:
        raise FormatError(_("The workbook has no sheet with data."))
    values = sheet.iter_rows(values_only=True)
    header = next(values, None)
    if header is None or not any(v is not None for v in header):
        raise FormatError(_("The first sheet is empty: the first row must name the columns."))
    columns = _header(header)

    def rows() -> Iterator[dict[str, str]]:
        for raw in values:
            texts = [cell(v) for v in raw]
            if any(t.strip() for t in texts):
                yield dict(zip(columns, (texts + [""] * len(columns))[: len(columns)], strict=True))
        workbook.close()

    return Table(columns, rows())


def _columns_of(records: Iterable[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for record in records:
        for key in record:
            seen.setdefault(str(key), None)
    return list(seen)


def _record_table(records: Iterator[dict[str, Any]]) -> Table:
    """Rows of JSON objects, the columns being the keys of the first ``COLUMN_LOOKAHEAD`` of them."""
    head = list(islice(records, COLUMN_LOOKAHEAD))
    columns = _columns_of(head)
    keyed = ({str(k): v for k, v in record.items()} for record in chain(head, records))
    return Table(columns, ({c: cell(r.get(c)) for c in columns} for r in keyed))


def read_json(stream: IO[bytes]) -> Table:
    text = _text(stream, what=gettext_noop("JSON file"))

    def records() -> Iterator[dict[str, Any]]:
        seen = objects = 0
        try:
            for value in list_items(text):
                seen += 1
                if isinstance(value, dict):
                    objects += 1
                    yield value
        except JsonStreamError as exc:
            raise FormatError(str(exc)) from None
        if seen and not objects:
            raise FormatError(_('The JSON list holds no objects: each row must be an object like {"text": …}.'))

    return _record_table(records())


def read_jsonl(stream: IO[bytes]) -> Table:
    lines = _text(stream, what=gettext_noop("JSONL file"))

    def records() -> Iterator[dict[str, Any]]:
        bad: list[int] = []
        good = 0
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                value = None
            if not isinstance(value, dict):
                bad.append(number)  # after the first bad line only the rest of the bad ones are collected
            elif not bad:
                good += 1
                yield value
        if bad and not good:
            raise FormatError(_("No line is a JSON object (line %(line)s is not valid JSON).") % {"line": bad[0]})
        if bad:
            shown = ", ".join(map(str, bad[:5])) + ("…" if len(bad) > 5 else "")
            raise FormatError(
                ngettext(
                    "%(count)d line is not a JSON object (line %(lines)s); fix it and upload again.",
                    "%(count)d lines are not JSON objects (line %(lines)s); fix them and upload again.",
                    len(bad),
                )
                % {"count": len(bad), "lines": shown}
            )

    return _record_table(records())


def count_lines(stream: IO[bytes], *, up_to: int) -> int:
    """Non-blank lines of ``stream``, counted up to ``up_to`` (a bound on a JSONL file's rows, read cheaply)."""
    stream.seek(0)
    count = 0
    for line in stream:
        if line.strip():
            count += 1
            if count >= up_to:
                break
    stream.seek(0)
    return count


def read_parquet(stream: IO[bytes], *, max_unpacked: int, max_rows: int | None = None) -> Table:
    # heavy: loaded on first use (pyarrow, only for Parquet files)
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(stream)
    except (pa.ArrowException, OSError) as exc:
        raise FormatError(_("The Parquet file cannot be read: %(error)s.") % {"error": exc}) from None
    metadata = parquet.metadata
    for group in range(metadata.num_row_groups):
        unpacked = metadata.row_group(group).total_byte_size
        if unpacked > max_unpacked:
            raise TooLarge(
                _(
                    "The Parquet file is refused: its row group %(group)s unpacks to %(size)s; "
                    "the limit is %(limit)s (DATASETS_MAX_UNPACKED_MB)."
                )
                % {"group": group + 1, "size": _megabytes(unpacked), "limit": _megabytes(max_unpacked)}
            )
    if max_rows is not None and metadata.num_rows > max_rows:
        raise too_many_rows(max_rows)
    columns = _header(parquet.schema_arrow.names)
    names = parquet.schema_arrow.names

    def rows() -> Iterator[dict[str, str]]:
        try:
            for batch in parquet.iter_batches(batch_size=PREVIEW_ROWS * 10):
                for record in batch.to_pylist():
                    yield {col: cell(record.get(name)) for col, name in zip(columns, names, strict=True)}
        except (pa.ArrowException, OSError) as exc:
            raise FormatError(f"The Parquet file is damaged: {exc}.") from None

    return Table(columns, rows())


def too_many_rows(limit: int) -> TooLarge:
    return TooLarge(
        _(
            "The file has more than %(limit)s rows, the most a dataset upload may have. Split it into smaller "
            "files, or ask your administrator to raise DATASETS_MAX_ROWS (now %(raw)s)."
        )
        % {"limit": f"{limit:,}", "raw": limit}
    )


def _capped(rows: Iterator[dict[str, str]], limit: int) -> Iterator[dict[str, str]]:
    for count, row in enumerate(rows, start=1):
        if count > limit:
            raise too_many_rows(limit)
        yield row


def _seekable(source: bytes | IO[bytes]) -> IO[bytes]:
    stream: IO[bytes] = io.BytesIO(source) if isinstance(source, bytes) else source
    stream.seek(0)
    return stream


def read_table(
    source: bytes | IO[bytes],
    kind: str,
    *,
    delimiter: str = "",
    max_rows: int | None = None,
    max_unpacked: int | None = None,
) -> Table:
    """The table in ``source`` (a file of format ``kind``, as bytes or a seekable binary stream).

    Rows are read as they are consumed: taking the first ten reads only the start of the file. A CSV
    is split on ``delimiter`` (guessed from its first rows when empty); more than ``max_rows`` rows,
    or a packed part that unpacks to more than ``max_unpacked`` bytes, raise ``FormatError`` like any
    other file that cannot be read.
    """
    stream = _seekable(source)
    if not _peek(stream, 1):
        raise FormatError("The file is empty.")
    unpacked = max_unpacked if max_unpacked is not None else settings.DATASETS_MAX_UNPACKED_MB * 1024 * 1024
    if kind == "csv":
        table = read_csv(stream, delimiter=delimiter)
    elif kind == "xlsx":
        table = read_xlsx(stream, max_unpacked=unpacked)
    elif kind == "parquet":
        table = read_parquet(stream, max_unpacked=unpacked, max_rows=max_rows)
    else:
        table = READERS[kind](stream)
    if not table.columns:
        raise FormatError("The file has no columns.")
    if max_rows is not None:
        return Table(table.columns, _capped(table.rows, max_rows), delimiter=table.delimiter)
    return table


READERS = {"json": read_json, "jsonl": read_jsonl}


def read_stream(stream: IO[bytes], kind: str) -> Table:
    return read_table(stream, kind)


# --- Writing splits ---------------------------------------------------------------------------------

FIELDS = ("text", "label", "response", "domain", "source", "id", "meta")


def _flat(record: dict[str, Any]) -> dict[str, Any]:
    return {key: record.get(key, "") for key in FIELDS}


def write_jsonl(records: Iterable[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(_flat(r), ensure_ascii=False, sort_keys=True) + "\n" for r in records).encode()


def write_csv(records: Iterable[dict[str, Any]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=FIELDS)
    writer.writeheader()
    for record in records:
        row = _flat(record)
        row["meta"] = json.dumps(row["meta"] or {}, ensure_ascii=False, sort_keys=True)
        writer.writerow(row)
    return out.getvalue().encode("utf-8")


def write_parquet(records: Iterable[dict[str, Any]]) -> bytes:
    # heavy: loaded on first use (pyarrow, only for Parquet files)
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [_flat(r) for r in records]
    columns = {key: [r[key] for r in rows] for key in FIELDS}
    columns["meta"] = [json.dumps(m or {}, ensure_ascii=False, sort_keys=True) for m in columns["meta"]]
    table = pa.table({key: pa.array(values, type=pa.string()) for key, values in columns.items()})
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


WRITERS = {"jsonl": write_jsonl, "csv": write_csv, "parquet": write_parquet}
CONTENT_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv", "parquet": "application/vnd.apache.parquet"}
