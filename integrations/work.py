"""Claiming and finishing work rows (outbox items, webhook deliveries) with conditional updates.

A row is claimed only if it is due and pending, or running with an expired lease (its worker
died). Finishing is conditional on still holding the claim, so a worker that lost its lease
never overwrites the one that took over. The lease outlasts every call a claim can make (each
call ends by its outbound deadline), so a live worker never loses its row to a second one.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TypeVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from helpdesk.stored_text import stored_text
from integrations.base import TransportError, backoff_seconds
from integrations.models import WorkItem, WorkStatus

W = TypeVar("W", bound=WorkItem)

# The most tracker or receiver calls one claim makes, each ending by OUTBOUND_DEADLINE_SECONDS: an outbox
# create makes three (find, create, link), a comment two (list, add), a webhook delivery one.
CALLS_PER_CLAIM = 3
# What a worker does around its calls (claiming, writing the outcome, a busy database), on top of them.
LEASE_MARGIN_SECONDS = 30.0


def claim_budget_seconds() -> float:
    """The longest the calls of one claim can take."""
    return CALLS_PER_CLAIM * float(settings.OUTBOUND_DEADLINE_SECONDS)


def lease_seconds() -> float:
    """How long a claim holds its row: ``INTEGRATIONS_LEASE_SECONDS`` when set, else the claim's calls plus a margin."""
    return float(settings.INTEGRATIONS_LEASE_SECONDS) or claim_budget_seconds() + LEASE_MARGIN_SECONDS


def check_lease() -> None:
    """Refuse to start with a lease that can run out while its claim's calls are still running."""
    lease, budget = lease_seconds(), claim_budget_seconds()
    if lease <= budget:
        raise ImproperlyConfigured(
            f"INTEGRATIONS_LEASE_SECONDS={lease:g} must be longer than the {CALLS_PER_CLAIM} calls one claim may "
            f"make ({CALLS_PER_CLAIM} x OUTBOUND_DEADLINE_SECONDS = {budget:g} s): a second worker would take "
            "a row whose call is still running. Raise it, lower the deadline, or leave the lease empty."
        )


def claimable_q(*, grace_seconds: float = 0) -> Q:
    """Rows a worker may take now; with a grace, only pending rows overdue by that much (the sweep's view)."""
    now = timezone.now()
    lease = now - timedelta(seconds=lease_seconds())
    due = now - timedelta(seconds=grace_seconds)
    return Q(status=WorkStatus.PENDING, next_attempt_at__lte=due) | Q(status=WorkStatus.RUNNING, claimed_at__lt=lease)


def overdue_q() -> Q:
    """What the sweep re-queues: rows whose own message should have run them a sweep period ago, or
    whose worker died. Rows merely due now already have a message on its way; sweeping those too
    would flood the queue with copies."""
    return claimable_q(grace_seconds=settings.INTEGRATIONS_SWEEP_SECONDS)


def claim(queryset: QuerySet[W], pk: int) -> W | None:
    """Take row ``pk`` for this worker, or None when it is not due, done, or held by a live worker.

    A row whose workers died while running it as many times as it may be attempted fails instead
    of being taken again (a poison row must not crash workers forever).
    """
    now = timezone.now()
    lease = now - timedelta(seconds=lease_seconds())
    queryset.filter(
        pk=pk, status=WorkStatus.RUNNING, claimed_at__lt=lease, attempts__gte=settings.INTEGRATIONS_MAX_ATTEMPTS
    ).update(
        status=WorkStatus.FAILED,
        finished_at=now,
        last_error=stored_text(
            gettext_noop("The worker stopped while running this %(times)s times; retry it once the cause is fixed."),
            times=settings.INTEGRATIONS_MAX_ATTEMPTS,
        ),
    )
    taken = queryset.filter(claimable_q(), pk=pk).update(
        status=WorkStatus.RUNNING, claimed_at=now, attempts=F("attempts") + 1
    )
    return queryset.get(pk=pk) if taken else None


def held(item: WorkItem) -> QuerySet[WorkItem]:
    """The row, only while this worker's claim on it stands."""
    return type(item)._default_manager.filter(pk=item.pk, status=WorkStatus.RUNNING, claimed_at=item.claimed_at)


def finish_ok(item: WorkItem, **fields: object) -> bool:
    now = timezone.now()
    return bool(held(item).update(status=WorkStatus.DONE, finished_at=now, last_error="", **fields))


def finish_error(item: WorkItem, error: TransportError, **fields: object) -> tuple[bool, float | None]:
    """Back to pending with a backoff for a transient error with attempts left; else failed.

    Returns (still ours, seconds until the retry or None when it failed for good).
    """
    now = timezone.now()
    common = {"last_error": error.reason[:2000], "last_status_code": error.status_code, **fields}
    if error.permanent or item.attempts >= settings.INTEGRATIONS_MAX_ATTEMPTS:
        ours = held(item).update(status=WorkStatus.FAILED, finished_at=now, **common)
        return bool(ours), None
    delay = backoff_seconds(item.attempts, error.retry_after)
    ours = held(item).update(
        status=WorkStatus.PENDING,
        next_attempt_at=now + timedelta(seconds=delay),
        **common,
    )
    return bool(ours), delay


def reset_for_retry(queryset: QuerySet[W], pk: int) -> bool:
    """A failed row back to pending now, with a fresh attempt budget (the Retry button)."""
    return bool(
        queryset.filter(pk=pk, status=WorkStatus.FAILED).update(
            status=WorkStatus.PENDING, attempts=0, next_attempt_at=timezone.now(), finished_at=None
        )
    )
