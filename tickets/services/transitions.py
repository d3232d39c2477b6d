"""Which status may follow which."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from tickets.models import (
    Status,
)

# Which status may follow which; `closed` is final, a solved ticket can only be reopened or closed.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED, Status.CLOSED}),
    Status.OPEN: frozenset({Status.PENDING, Status.ON_HOLD, Status.SOLVED, Status.CLOSED}),
    Status.PENDING: frozenset({Status.OPEN, Status.ON_HOLD, Status.SOLVED, Status.CLOSED}),
    Status.ON_HOLD: frozenset({Status.OPEN, Status.PENDING, Status.SOLVED, Status.CLOSED}),
    Status.SOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}


def transition_check(current: str, target: str) -> None:
    """Raise ``ValidationError`` (on ``status``) when ``current`` may not become ``target``."""
    if target not in Status.values:
        raise ValidationError({"status": f"Unknown status {target!r}."})
    if target == current:
        return
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(Status(s).label.lower() for s in Status.values if s in TRANSITIONS[current]) or "none"
        raise ValidationError(
            {
                "status": f"A {Status(current).label.lower()} ticket cannot become "
                f"{Status(target).label.lower()} (allowed: {allowed})."
            }
        )
