"""Reading tables from uploaded files (CSV, XLSX, JSON, JSONL, Parquet) and writing splits (JSONL, CSV, Parquet).

Every reader yields rows as ``dict[str, str]`` keyed by the header, values as text, so
the ETL step treats all formats alike. A file that cannot be read raises ``FormatError``
with a sentence a person can act on.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

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


def format_of(filename: str) -> str:
    name = filename.lower()
    for extension, kind in EXTENSIONS.items():
        if name.endswith(extension):
            return kind
    raise FormatError(f"{filename} is not a supported type; upload one of: {ACCEPTED}.")


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: Iterator[dict[str, str]]


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


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig",):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:1_000_000]).best()
    if best is None:
        raise FormatError("The file is not text in any encoding we recognise (is it really a CSV?).")
    return data.decode(best.encoding, errors="replace")


def read_csv(data: bytes) -> Table:
    if b"\x00" in data[:4096]:
        raise FormatError("The file is binary, not a CSV (it contains NUL bytes).")
    text = _decode(data)
    sample = text[:65536]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header = next(reader)
    except StopIteration:
        raise FormatError("The file is empty.") from None
    except csv.Error as exc:
        raise FormatError(f"The CSV cannot be read: {exc}.") from None
    columns = _header(header)

    def rows() -> Iterator[dict[str, str]]:
        try:
            for values in reader:
                if not any(v.strip() for v in values):
                    continue
                yield dict(zip(columns, (values + [""] * len(columns))[: len(columns)], strict=True))
        except csv.Error as exc:
            raise FormatError(f"The CSV is malformed near line {reader.line_num}: {exc}.") from None

    return Table(columns, rows())


def read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise FormatError(f"The Excel file cannot be read ({type(exc).__name__}): is it a valid .xlsx?") from None
    sheet = next((ws for ws in workbook.worksheets if ws.max_row and ws.max_row > 0), None)
    if sheet is None:
        raise FormatError("The workbook has no sheet with data.")
    values = sheet.iter_rows(values_only=True)
    header = next(values, None)
    if header is None or not any(v is not None for v in header):
        raise FormatError("The first sheet is empty: the first row must name the columns.")
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


def _records(items: list[Any], where: str) -> list[dict[str, Any]]:
    records = [item for item in items if isinstance(item, dict)]
    if items and not records:
        raise FormatError(f'{where} holds no objects: each row must be an object like {{"text": …}}.')
    return records


def read_json(data: bytes) -> Table:
    try:
        parsed = json.loads(_decode(data))
    except json.JSONDecodeError as exc:
        raise FormatError(f"The JSON is invalid at line {exc.lineno}, column {exc.colno}: {exc.msg}.") from None
    if isinstance(parsed, dict):
        lists = [value for value in parsed.values() if isinstance(value, list)]
        if len(lists) != 1:
            raise FormatError("The JSON must be a list of objects (or an object holding exactly one such list).")
        parsed = lists[0]
    if not isinstance(parsed, list):
        raise FormatError("The JSON must be a list of objects.")
    records = _records(parsed, "The JSON list")
    columns = _columns_of(records)
    return Table(columns, ({c: cell(r.get(c)) for c in columns} for r in records))


def read_jsonl(data: bytes) -> Table:
    records: list[dict[str, Any]] = []
    bad: list[int] = []
    for number, line in enumerate(_decode(data).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            bad.append(number)
            continue
        if isinstance(value, dict):
            records.append(value)
        else:
            bad.append(number)
    if bad and not records:
        raise FormatError(f"No line is a JSON object (line {bad[0]} is not valid JSON).")
    if bad:
        shown = ", ".join(map(str, bad[:5])) + ("…" if len(bad) > 5 else "")
        raise FormatError(f"{len(bad)} line(s) are not JSON objects (line {shown}); fix them and upload again.")
    columns = _columns_of(records)
    return Table(columns, ({c: cell(r.get(c)) for c in columns} for r in records))


def read_parquet(data: bytes) -> Table:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(io.BytesIO(data))
    except (pa.ArrowException, OSError) as exc:
        raise FormatError(f"The Parquet file cannot be read: {exc}.") from None
    columns = _header(parquet.schema_arrow.names)
    names = parquet.schema_arrow.names

    def rows() -> Iterator[dict[str, str]]:
        try:
            for batch in parquet.iter_batches(batch_size=2048):
                for record in batch.to_pylist():
                    yield {col: cell(record.get(name)) for col, name in zip(columns, names, strict=True)}
        except (pa.ArrowException, OSError) as exc:
            raise FormatError(f"The Parquet file is damaged: {exc}.") from None

    return Table(columns, rows())


READERS = {"csv": read_csv, "xlsx": read_xlsx, "json": read_json, "jsonl": read_jsonl, "parquet": read_parquet}


def read_table(data: bytes, kind: str) -> Table:
    """The table in ``data`` (a file of format ``kind``); raises ``FormatError`` when it cannot be read."""
    if not data:
        raise FormatError("The file is empty.")
    table = READERS[kind](data)
    if not table.columns:
        raise FormatError("The file has no columns.")
    return table


def read_stream(stream: IO[bytes], kind: str) -> Table:
    return read_table(stream.read(), kind)


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
