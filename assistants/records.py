"""Named record lists that assistants offers other apps through ``helpdesk.ai.examples`` (see ``AssistantsConfig``).

``"draft-pairs"``: the customer's question, the AI draft and the reply the agent sent after it.
"""

from __future__ import annotations

from typing import Any

from rapidfuzz import fuzz

from assistants.ticket_answers import draft_final_pairs, ticket_question


def draft_pairs() -> list[dict[str, Any]]:
    """One row per AI draft an agent answered after: question → final reply, with the draft and its similarity."""
    records = []
    for answer, final in draft_final_pairs():
        ticket = answer.ticket
        draft = answer.draft.body if answer.draft is not None else ""
        records.append({
            "id": f"{ticket.number}-{answer.pk}",
            "question": ticket_question(ticket).question,
            "final_reply": final.body,
            "request_type": answer.result.get("request_type", "") or ticket.category,
            "channel": ticket.channel,
            "draft": draft,
            "draft_similarity": round(fuzz.ratio(draft, final.body)),
            "ticket": ticket.number,
        })  # fmt: skip
    return records
