"""A dataset version: instruction → response rows, or text → label rows made instructions.

Versions are read through ``helpdesk.ai.examples.collection()`` (the datasets app registers its versions
there), so LoRA does not import the datasets app. The version's own split is kept: its eval rows are the
held-out examples, never trained on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext_noop

from assistants.lora.sources.base import NoData, Pair
from assistants.models import Assistant
from helpdesk.ai import examples
from helpdesk.ai.examples import Collection

MAX_LABELS_NAMED = 30  # labels listed in the instruction of a text → label row


class MissingVersion(NoData):
    """The chosen version was deleted after the job was queued."""


def _collection() -> Collection:
    collection = examples.collection()
    if collection is None:
        raise NoData("No app offers dataset versions here.")
    return collection


def version_choices() -> list[tuple[str, str]]:
    collection = examples.collection()
    return [(str(pk), description) for pk, description in collection.versions()] if collection else []


def instruction(text: str, labels: list[str]) -> str:
    named = ", ".join(labels[:MAX_LABELS_NAMED])
    choose = f" Answer with one of: {named}." if named else ""
    return f"Which category does this support message belong to?{choose}\n\nMessage: {text.strip()}"


class DatasetVersion:
    kind = "dataset"
    label = gettext_noop("A dataset version")
    help = "Rows of a version of the datasets app: its responses, or its labels as answers; its eval split is held out."

    def available(self, assistant: Assistant) -> int:
        collection = examples.collection()
        return collection.newest_size() if collection else 0

    def pairs(self, assistant: Assistant, options: dict[str, Any]) -> Iterator[Pair]:
        collection = _collection()
        version_id = int(options.get("version") or 0)
        try:
            name = collection.describe(version_id)
            labels = collection.labels(version_id)
            train_count, eval_count = collection.split_sizes(version_id)
        except LookupError:
            raise MissingVersion(f"Dataset version {options.get('version')} no longer exists.") from None
        keep_split = bool(train_count and eval_count)
        for split in ("train", "eval"):
            for index, row in enumerate(collection.examples(version_id, split=split)):
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
                    group=f"dataset:{version_id}:{split}:{index}",
                    ref=f"{name} {split} row {index + 1}",
                    meta={"split": ("heldout" if split == "eval" else "train")} if keep_split else {},
                )


SOURCE = DatasetVersion()
