"""Review: collect the rows a person must decide on (low confidence, disputed, unlabeled).

The run waits in *Awaiting review* while any are pending; reviewers work through them in the
review queue (``datasets.review``), and the writer can run with pending rows left out.
"""

from __future__ import annotations

from typing import ClassVar

from django.db.models import Count
from django.utils.translation import gettext_noop

from datasets.models import Row
from datasets.steps.base import Counts, StepContext


class ReviewStep:
    name: ClassVar[str] = "review"
    title: ClassVar[str] = gettext_noop("Human review")

    def able_to_run(self, context: StepContext) -> bool:
        return True

    def run(self, context: StepContext) -> Counts:
        pending = Row.objects.filter(run=context.run, status=Row.Status.REVIEW)
        by_reason = dict(pending.values_list("review_reason").annotate(n=Count("pk")).values_list("review_reason", "n"))
        total = sum(by_reason.values())
        return {"rows": total, "to_review": total, **{reason: by_reason.get(reason, 0) for reason in Row.Reason.values}}
