"""Datasets from the helpdesk itself: tickets with their category, and AI drafts with the reply agents sent.

Each export becomes an upload (a JSONL file) with its column mapping already set, so it runs
through the same pipeline and mapping page as any file.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from datasets import services
from datasets.models import Dataset, Upload
from helpdesk.accounts.models import User
from helpdesk.ai import examples
from tickets.models import Ticket


def _jsonl(records: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()


def tickets_export(*, dataset: Dataset, by: User | None = None, labeled_only: bool = False) -> Upload:
    """Subject + first message → category (the request type), one row per ticket; ticket numbers as ids."""
    tickets = Ticket.objects.order_by("number")
    if labeled_only:
        tickets = tickets.exclude(category="")
    records = [
        {"id": t.number, "text": f"{t.subject}\n\n{t.description}".strip(), "category": t.category,
         "channel": t.channel, "priority": t.priority, "status": t.status, "created_at": t.created_at.isoformat()}
        for t in tickets.only("number", "subject", "description", "category", "channel", "priority", "status",
                              "created_at")
    ]  # fmt: skip
    if not records:
        raise ValidationError("There are no tickets to export yet.")
    mapping = {"text": "text", "label": "category", "domain": "channel", "id": "id", "response": "",
               "meta": ["priority", "status", "created_at"]}  # fmt: skip
    return services.upload_create(
        dataset=dataset, filename=f"tickets-{timezone.now():%Y%m%d-%H%M}.jsonl", data=_jsonl(records),
        source=Upload.Source.TICKETS, mapping=mapping, by=by,
    )  # fmt: skip


def draft_pairs_export(*, dataset: Dataset, by: User | None = None) -> Upload:
    """The customer's question → the reply the agent sent after an AI draft (instruction → response).

    The draft, how similar the final reply is to it (0-100) and the request type go along, so the
    team's corrections become training data and the untouched drafts can be told apart.
    """
    records = examples.records("draft-pairs")  # provided by the assistants app
    if not records:
        raise ValidationError("No ticket has an AI draft followed by an agent's reply yet.")
    mapping = {"text": "question", "response": "final_reply", "label": "request_type", "domain": "channel",
               "id": "id", "meta": ["draft", "draft_similarity", "ticket"]}  # fmt: skip
    return services.upload_create(
        dataset=dataset, filename=f"draft-pairs-{timezone.now():%Y%m%d-%H%M}.jsonl", data=_jsonl(records),
        source=Upload.Source.DRAFT_PAIRS, mapping=mapping, by=by,
    )  # fmt: skip
