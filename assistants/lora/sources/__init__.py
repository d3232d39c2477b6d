"""Pluggable sources of training pairs: each turns the tenant's data into question → answer pairs.

A source is a module-level object with ``kind``, ``label``, ``available()`` (how many pairs it
would give now, for the picker) and ``pairs(assistant, options)`` (see ``base.Source``). Register new
ones in ``registry``; the form, the API and the training job list whatever is registered.
"""

from __future__ import annotations

from assistants.lora.sources import corrections, dataset, knowledge, solved, upload
from assistants.lora.sources.base import NoData, Pair, Source
from helpdesk.ai import examples

__all__ = ["NoData", "Pair", "Source", "registry"]


def registry() -> dict[str, Source]:
    sources: list[Source] = [corrections.SOURCE, solved.SOURCE, knowledge.SOURCE, upload.SOURCE]
    if examples.collection() is not None:  # an app offers dataset versions (the datasets app)
        sources.append(dataset.SOURCE)
    return {source.kind: source for source in sources}
