"""ETL: read the uploaded file, apply the column mapping, normalise, drop empty and duplicate rows."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_noop

from datasets.formats import FormatError, read_table
from datasets.models import Row, Upload
from datasets.steps.base import Counts, StepContext, StepFailed
from datasets.text import normalise, normalise_label, text_hash

BATCH = 2000


class EtlStep:
    name: ClassVar[str] = "etl"
    title: ClassVar[str] = gettext_noop("Import and normalise")

    def able_to_run(self, context: StepContext) -> bool:
        return True

    def run(self, context: StepContext) -> Counts:
        upload = context.run.upload
        if upload is None:
            raise StepFailed("The uploaded file of this run was deleted.")
        try:
            stream = upload.file.open("rb")
        except OSError as exc:
            raise StepFailed(f"The uploaded file cannot be opened: {exc}.") from None
        with stream:
            return self._import(context, upload, stream)

    def _import(self, context: StepContext, upload: Upload, stream: Any) -> Counts:
        mapping = context.mapping
        try:
            # Read as it goes, up to DATASETS_MAX_ROWS rows: a larger file fails the run with that limit.
            table = read_table(stream, upload.format, delimiter=upload.delimiter, max_rows=settings.DATASETS_MAX_ROWS)
        except FormatError as exc:
            raise StepFailed(str(exc)) from None
        missing = [c for c in (*mapping.roles.values(), *mapping.meta) if c not in table.columns]
        if missing:
            raise StepFailed(f"The file has no column {', '.join(map(repr, missing))}.")
        if not mapping.text:
            raise StepFailed("Choose the column that holds the text.")
        limit = settings.DATASETS_MAX_TEXT_CHARS
        counts = {"read": 0, "imported": 0, "empty": 0, "duplicates": 0, "duplicate_conflicts": 0,
                  "truncated": 0, "labeled": 0}  # fmt: skip
        seen: dict[str, str] = {}  # text hash -> label
        label_spelling: dict[str, str] = {}  # casefolded -> the first spelling seen
        domains: set[str] = set()
        batch: list[Row] = []
        total = upload.size or 1
        consumed = 0
        with transaction.atomic():
            try:
                for record in table.rows:
                    counts["read"] += 1
                    consumed += sum(len(v) for v in record.values()) + len(record)
                    text = normalise(record.get(mapping.text, ""))
                    if not text:
                        counts["empty"] += 1
                        continue
                    if len(text) > limit:
                        text, counts["truncated"] = text[:limit], counts["truncated"] + 1
                    label = normalise_label(record.get(mapping.label, "")) if mapping.label else ""
                    if label:
                        label = label_spelling.setdefault(label.casefold(), label)
                    digest = text_hash(text)
                    if digest in seen:
                        counts["duplicates"] += 1
                        if label and seen[digest] and seen[digest] != label:
                            counts["duplicate_conflicts"] += 1
                        continue
                    seen[digest] = label
                    domain = normalise(record.get(mapping.domain, ""))[:100] if mapping.domain else ""
                    domains.add(domain)
                    counts["labeled"] += bool(label)
                    batch.append(
                        Row(
                            run=context.run,
                            position=counts["imported"],
                            text=text,
                            text_hash=digest,
                            response=record.get(mapping.response, "").strip() if mapping.response else "",
                            domain=domain,
                            external_id=record.get(mapping.id, "").strip()[:255] if mapping.id else "",
                            meta={column: record.get(column, "") for column in mapping.meta},
                            original_label=label,
                            label=label,
                        )
                    )
                    counts["imported"] += 1
                    if len(batch) >= BATCH:
                        Row.objects.bulk_create(batch)
                        batch = []
                        context.progress(min(consumed, total), total)
            except FormatError as exc:
                raise StepFailed(str(exc)) from None
            Row.objects.bulk_create(batch)
        if counts["read"] == 0:
            raise StepFailed("The file has a header but no rows.")
        if counts["imported"] == 0:
            raise StepFailed(f"Every row has an empty {mapping.text!r} column: is it the text column?")
        context.progress(total, total)
        counts["rows"] = counts["read"]
        counts["unlabeled"] = counts["imported"] - counts["labeled"]
        counts["labels"] = len(set(label_spelling.values()))
        counts["domains"] = len(domains - {""})
        return counts
