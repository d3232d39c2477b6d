"""The datasets app's versions as a collection of labelled examples (``helpdesk.ai.examples``).

Registered from ``DatasetsConfig.ready()``, so that another app (LoRA training) reads versions without
importing this app. Everything runs in the current tenant's schema: another tenant's version id does not
exist here and raises ``LookupError``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from datasets.models import Version
from datasets.selectors import version_examples, version_list_for_tenant
from helpdesk.ai.examples import Example

VERSIONS_LISTED = 200  # versions offered in a picker


def _version(version_id: int) -> Version:
    version = Version.objects.select_related("dataset").filter(pk=version_id).first()
    if version is None:
        raise LookupError(f"Dataset version {version_id} no longer exists.")
    return version


class DatasetVersions:
    """Every version of every dataset of the tenant: text → label or text → response rows, split as written."""

    def versions(self) -> list[tuple[int, str]]:
        return [
            (v.pk, f"{v} ({v.train_count} train / {v.eval_count} held out)")
            for v in version_list_for_tenant()[:VERSIONS_LISTED]
        ]

    def newest_size(self) -> int:
        newest = version_list_for_tenant().first()
        return (newest.train_count + newest.eval_count) if newest else 0

    def describe(self, version_id: int) -> str:
        return str(_version(version_id))

    def split_sizes(self, version_id: int) -> tuple[int, int]:
        version = _version(version_id)
        return version.train_count, version.eval_count

    def labels(self, version_id: int) -> list[str]:
        return _version(version_id).labels

    def examples(self, version_id: int, *, split: Literal["train", "eval"]) -> Iterator[Example]:
        for row in version_examples(_version(version_id), split=split):
            yield Example(text=row.text, label=row.label, response=row.response)


COLLECTION = DatasetVersions()
