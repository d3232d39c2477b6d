"""Versions: create (immutable, content-hashed), check out, roll back, diff, prune; their files.

A version's rows live in ``VersionRow`` (for diffs, training and ``version_examples``) and in
files under ``MEDIA_ROOT/<schema>/datasets/versions/<dataset>/<tag>/`` (train and eval as
JSONL, CSV and Parquet), written once when the version is made. Rows within a split are
ordered by their text hash: a fixed, shuffled-looking order, so the same rows always give the
same files and the same content hash.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count
from django.http import FileResponse
from django.utils.translation import gettext as _

from datasets.formats import CONTENT_TYPES, DOWNLOAD_FORMATS, WRITERS, write_jsonl
from datasets.models import Dataset, Row, Run, Version, VersionRow
from helpdesk.accounts.models import User

TAG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
SEMVER = re.compile(r"^v(\d+)\.(\d+)\.(\d+)$")
SPLITS = ("train", "eval")


def validate_tag(dataset: Dataset, tag: str) -> str:
    tag = tag.strip()
    if not TAG.match(tag):
        raise ValidationError(
            _("%(tag)r is not a tag: use letters, digits, dots, dashes (like v1.0.0), at most 32.") % {"tag": tag}
        )
    if Version.objects.filter(dataset=dataset, tag=tag).exists():
        raise ValidationError(_("%(dataset)s already has a version %(tag)s.") % {"dataset": dataset.name, "tag": tag})
    return tag


def next_tag(dataset: Dataset) -> str:
    """v1.0.0 for the first version, then the next minor version after the highest one."""
    best: tuple[int, int, int] | None = None
    for tag in Version.objects.filter(dataset=dataset).values_list("tag", flat=True):
        match = SEMVER.match(tag)
        if match:
            number = (int(match[1]), int(match[2]), int(match[3]))
            best = number if best is None or number > best else best
    if best is None:
        return "v1.0.0"
    return f"v{best[0]}.{best[1] + 1}.0"


def record(row: VersionRow | Row) -> dict[str, Any]:
    return {"text": row.text, "label": row.label, "response": row.response, "domain": row.domain,
            "source": row.source, "id": row.external_id, "meta": row.meta}  # fmt: skip


def storage_dir(version: Version) -> str:
    return f"datasets/versions/{version.dataset_id}/{version.tag}"


def _counts(rows: Sequence[VersionRow]) -> dict[str, Any]:
    by_split: dict[str, Counter[str]] = {split: Counter() for split in SPLITS}
    domains: dict[str, Counter[str]] = {split: Counter() for split in SPLITS}
    for row in rows:
        by_split[row.split][row.label] += 1
        domains[row.split][row.domain or "—"] += 1
    return {
        "train": dict(sorted(by_split["train"].items())),
        "eval": dict(sorted(by_split["eval"].items())),
        "domains": {split: dict(sorted(domains[split].items())) for split in SPLITS},
        "synthetic": sum(row.source == Row.Source.SYNTHETIC for row in rows),
    }


@transaction.atomic
def version_create(
    *,
    run: Run,
    train_ids: Sequence[int],
    eval_ids: Sequence[int],
    report: dict[str, Any],
    tag: str = "",
    message: str = "",
    author: User | None = None,
) -> Version:
    """Freeze the chosen rows of ``run`` as a new version of its dataset; it becomes the current one."""
    dataset = Dataset.objects.select_for_update().get(pk=run.dataset_id)
    tag = validate_tag(dataset, tag or next_tag(dataset))
    rows = Row.objects.in_bulk([*train_ids, *eval_ids])
    version_rows: list[VersionRow] = []
    for split, ids in (("train", train_ids), ("eval", eval_ids)):
        ordered = sorted((rows[pk] for pk in ids), key=lambda r: r.text_hash)
        version_rows += [
            VersionRow(split=split, position=position, text=row.text, text_hash=row.text_hash, label=row.label,
                       response=row.response, domain=row.domain, source=row.source, external_id=row.external_id,
                       meta=row.meta, embedding=row.embedding, embedding_model=row.embedding_model)
            for position, row in enumerate(ordered)
        ]  # fmt: skip
    payload = {split: write_jsonl(record(r) for r in version_rows if r.split == split) for split in SPLITS}
    digest = hashlib.sha256(payload["train"] + b"\x00eval\x00" + payload["eval"]).hexdigest()
    version = Version.objects.create(
        dataset=dataset, run=run, parent=dataset.current_version, tag=tag, message=message.strip(), author=author,
        content_hash=digest, train_count=len(train_ids), eval_count=len(eval_ids), counts=_counts(version_rows),
        report=report,
    )  # fmt: skip
    for row in version_rows:
        row.version = version
    VersionRow.objects.bulk_create(version_rows, batch_size=1000)
    version.files = _write_files(version, version_rows, payload)
    version.save(update_fields=["files"])
    dataset.current_version = version
    dataset.save(update_fields=["current_version", "updated_at"])
    Run.objects.filter(pk=run.pk).update(version=version)
    versions_prune(dataset=dataset)
    return version


def _write_files(version: Version, rows: Sequence[VersionRow], jsonl: dict[str, bytes]) -> dict[str, str]:
    files: dict[str, str] = {}
    base = storage_dir(version)
    for split in SPLITS:
        records = [record(r) for r in rows if r.split == split]
        for kind in DOWNLOAD_FORMATS:
            data = jsonl[split] if kind == "jsonl" else WRITERS[kind](records)
            name = f"{base}/{split}.{kind}"
            if default_storage.exists(name):  # left by a version of the same tag that was deleted
                default_storage.delete(name)
            files[f"{split}.{kind}"] = default_storage.save(name, ContentFile(data))
    return files


def _delete_files(names: Sequence[str]) -> None:
    for name in names:
        if name and default_storage.exists(name):
            default_storage.delete(name)


@transaction.atomic
def version_delete(*, version: Version) -> None:
    files = list(version.files.values())
    classifier = getattr(version, "classifier", None)
    if classifier is not None and classifier.file:
        files.append(classifier.file)
    version.delete()
    transaction.on_commit(lambda: _delete_files(files))


def versions_prune(*, dataset: Dataset) -> int:
    """Delete the oldest versions beyond ``DATASETS_MAX_VERSIONS``, never the current one."""
    keep = settings.DATASETS_MAX_VERSIONS
    ordered = list(Version.objects.filter(dataset=dataset).order_by("-created_at", "-pk"))
    stale = [v for v in ordered[keep:] if v.pk != dataset.current_version_id]
    for version in stale:
        version_delete(version=version)
    return len(stale)


@transaction.atomic
def version_checkout(*, version: Version) -> Version:
    """Make ``version`` the current one of its dataset (downloads, the classifier API and assistants use it)."""
    Dataset.objects.filter(pk=version.dataset_id).update(current_version=version)
    return version


def version_rollback(*, dataset: Dataset) -> Version:
    """Check out the version made before the current one."""
    current = dataset.current_version
    if current is None:
        raise ValidationError(_("There is no current version to roll back from."))
    previous = (
        Version.objects.filter(dataset=dataset, created_at__lte=current.created_at)
        .exclude(pk=current.pk)
        .order_by("-created_at", "-pk")
        .first()
    )
    if previous is None:
        raise ValidationError(
            _("%(tag)s is the first version: there is nothing to roll back to.") % {"tag": current.tag}
        )
    return version_checkout(version=previous)


@dataclass(frozen=True)
class Change:
    text: str
    label_before: str
    label_after: str
    split: str


@dataclass(frozen=True)
class Diff:
    base: Version
    other: Version
    added: list[Change]
    removed: list[Change]
    relabelled: list[Change]
    added_count: int
    removed_count: int
    relabelled_count: int
    unchanged_count: int
    label_deltas: dict[str, dict[str, int]]  # label -> {"before", "after", "delta"}


def version_diff(*, base: Version, other: Version, limit: int = 200) -> Diff:
    """Rows added, removed and relabelled from ``base`` to ``other`` (by text), and per-label deltas."""
    if base.dataset_id != other.dataset_id:
        raise ValidationError(_("Both versions must belong to the same dataset."))
    before = {h: (label, split, text) for h, label, split, text in
              VersionRow.objects.filter(version=base).values_list("text_hash", "label", "split", "text")}  # fmt: skip
    after = {h: (label, split, text) for h, label, split, text in
             VersionRow.objects.filter(version=other).values_list("text_hash", "label", "split", "text")}  # fmt: skip
    added = [Change(t, "", label, split) for h, (label, split, t) in after.items() if h not in before]
    removed = [Change(t, label, "", split) for h, (label, split, t) in before.items() if h not in after]
    relabelled = [
        Change(after[h][2], before[h][0], after[h][0], after[h][1])
        for h in after.keys() & before.keys()
        if after[h][0] != before[h][0]
    ]
    counts_before = _label_totals(base)
    counts_after = _label_totals(other)
    deltas = {
        label: {"before": counts_before.get(label, 0), "after": counts_after.get(label, 0),
                "delta": counts_after.get(label, 0) - counts_before.get(label, 0)}
        for label in sorted(counts_before.keys() | counts_after.keys())
    }  # fmt: skip
    unchanged = len(after.keys() & before.keys()) - len(relabelled)
    return Diff(
        base, other, added[:limit], removed[:limit], sorted(relabelled, key=lambda c: c.text)[:limit],
        len(added), len(removed), len(relabelled), unchanged, deltas,
    )  # fmt: skip


def _label_totals(version: Version) -> dict[str, int]:
    return dict(
        VersionRow.objects.filter(version=version)
        .values_list("label")
        .annotate(n=Count("pk"))
        .values_list("label", "n")
    )


def version_file(version: Version, split: str, kind: str) -> str:
    """The storage name of one download; raises ``ValidationError`` for an unknown split or format."""
    if split not in SPLITS:
        raise ValidationError(_("Unknown split %(split)r: use train or eval.") % {"split": split})
    if kind not in DOWNLOAD_FORMATS:
        raise ValidationError(
            _("Unknown format %(kind)r: use one of %(formats)s.")
            % {"kind": kind, "formats": ", ".join(DOWNLOAD_FORMATS)}
        )
    name = version.files.get(f"{split}.{kind}", "")
    if not name or not default_storage.exists(name):
        raise ValidationError(
            _("The %(split)s file of %(tag)s is missing from storage.") % {"split": split, "tag": version.tag}
        )
    return name


def download(version: Version, split: str, kind: str) -> FileResponse:
    """One split of ``version`` as a file download (``ValidationError`` for an unknown split or format)."""
    name = version_file(version, split, kind)
    filename = f"{version.dataset.name}-{version.tag}-{split}.{kind}".replace(" ", "_")
    return FileResponse(default_storage.open(name, "rb"), as_attachment=True, filename=filename,
                        content_type=CONTENT_TYPES[kind])  # fmt: skip
