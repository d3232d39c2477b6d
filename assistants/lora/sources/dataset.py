"""A dataset version of the datasets app: instruction → response rows, or text → label rows made instructions.

The version's own split is kept: its eval rows are the held-out examples, never trained on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from assistants.lora.dataset import NoData
from assistants.lora.sources import Pair
from assistants.models import Assistant
from datasets import selectors as dataset_selectors
from datasets.models import Version

MAX_LABELS_NAMED = 30  # labels listed in the instruction of a text → label row


class MissingVersion(NoData):
    """The chosen version was deleted after the job was queued."""


def version_choices() -> list[tuple[str, str]]:
    return [
        (str(v.pk), f"{v} ({v.train_count} train / {v.eval_count} held out)")
        for v in dataset_selectors.version_list_for_tenant()[:200]
    ]


def instruction(text: str, labels: list[str]) -> str:
    named = ", ".join(labels[:MAX_LABELS_NAMED])
    choose = f" Answer with one of: {named}." if named else ""
    return f"Which category does this support message belong to?{choose}\n\nMessage: {text.strip()}"


class DatasetVersion:
    kind = "dataset"
    label = "A dataset version"
    help = "Rows of a version of the datasets app: its responses, or its labels as answers; its eval split is held out."

    def available(self, assistant: Assistant) -> int:
        newest = dataset_selectors.version_list_for_tenant().first()
        return (newest.train_count + newest.eval_count) if newest else 0

    def pairs(self, assistant: Assistant, options: dict[str, Any]) -> Iterator[Pair]:
        version = Version.objects.select_related("dataset").filter(pk=int(options.get("version") or 0)).first()
        if version is None:
            raise MissingVersion(f"Dataset version {options.get('version')} no longer exists.")
        labels = version.labels
        keep_split = bool(version.train_count and version.eval_count)
        for split in ("train", "eval"):
            for index, row in enumerate(dataset_selectors.version_examples(version, split=split)):
                if not row.text.strip() or not (row.response.strip() or row.label.strip()):
                    continue
                question, answer = (
                    (row.text.strip(), row.response.strip())
                    if row.response.strip()
                    else (instruction(row.text, labels), row.label.strip())
                )
                yield Pair(
                    question=question,
                    answer=answer,
                    source=self.kind,
                    group=f"dataset:{version.pk}:{split}:{index}",
                    ref=f"{version} {split} row {index + 1}",
                    meta={"split": ("heldout" if split == "eval" else "train")} if keep_split else {},
                )


SOURCE = DatasetVersion()
