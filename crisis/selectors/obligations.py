"""Statutory clocks (issue 15 §3), read: a crisis's clocks with their countdowns, the open clocks
across the crises a viewer sees (executive dashboard) and the library — each in a constant
number of queries however many clocks there are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q, QuerySet

from .. import obligations as rules
from ..choices import CrisisStatus
from ..drill_timing import crisis_drill_speed, drill_text
from ..models import Crisis, CrisisObligation, Obligation
from .access import can_manage, crises_visible_to

BOARD_LIMIT = 12


@dataclass(frozen=True)
class ClockRow:
    """One clock as pages show it."""

    clock: CrisisObligation
    countdown: rules.Clock
    title: str  # in a drill with its durations on the drill's clock (drill_timing.drill_text)

    @property
    def is_open(self) -> bool:
        return self.clock.state in rules.OBLIGATION_OPEN_STATES


def _rows(clocks, now: datetime, *, speed: int = 1) -> list[ClockRow]:
    return [
        ClockRow(
            clock=c,
            countdown=rules.clock_of(
                state=c.state, due=c.due_at, warn=c.warn_at, now=now, filed_at=c.filed_at
            ),
            title=drill_text(c.title, speed),
        )
        for c in clocks
    ]


def crisis_obligations(crisis: Crisis | int) -> QuerySet[CrisisObligation]:
    """A crisis's statutory clocks, soonest due first (callers check visibility)."""
    pk = crisis if isinstance(crisis, int) else crisis.pk
    return (
        CrisisObligation.objects.filter(crisis_id=pk)
        .select_related("filed_by", "filed_by__employee")
        .order_by("due_at", "id")
    )


def crisis_clocks(user: AbstractBaseUser, crisis: Crisis, now: datetime) -> dict:
    """The crisis page's panel: every clock with its countdown, and whether the viewer may file
    (two queries, one more for the manage check of someone not obviously entitled)."""
    rows = _rows(crisis_obligations(crisis), now, speed=crisis_drill_speed(crisis))
    return {
        "clock_rows": rows,
        "may_file_clocks": bool(rows) and can_manage(user, crisis),
    }


def obligation_visible(user: AbstractBaseUser, pk: int) -> CrisisObligation | None:
    """A clock of a crisis ``user`` sees, or None."""
    return (
        CrisisObligation.objects.filter(pk=pk, crisis__in=crises_visible_to(user).values("pk"))
        .select_related("crisis", "filed_by", "filed_by__employee")
        .first()
    )


def obligations_board(user: AbstractBaseUser, now: datetime, limit: int = BOARD_LIMIT) -> dict:
    """The dashboard's panel: the open statutory clocks (running or breached) of the open crises
    the viewer sees, breached and soonest due first, with their total and breached counts."""
    open_clocks = CrisisObligation.objects.filter(
        # drills have their own view; their clocks are not the group's legal deadlines
        crisis__in=crises_visible_to(user)
        .filter(status=CrisisStatus.OPEN, is_drill=False)
        .values("pk"),
        state__in=rules.OBLIGATION_OPEN_STATES,
    )
    clocks = list(open_clocks.select_related("crisis").order_by("due_at", "id")[:limit])
    counts = open_clocks.aggregate(
        total=Count("pk"),
        breached=Count("pk", filter=Q(state=rules.ObligationState.BREACHED) | Q(due_at__lte=now)),
    )
    return {"board_clocks": _rows(clocks, now), "board_clock_counts": counts}


def obligations_library() -> QuerySet[Obligation]:
    """Every obligation of the library with its scenarios (HR admins' page)."""
    return Obligation.objects.prefetch_related("scenarios").order_by("code")
