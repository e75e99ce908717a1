"""How a decision's follow-ups (督办) stand: "3 of 4 follow-ups done, 1 late" and the light the
dashboard shows (pure arithmetic on task facts; no ORM).

Late: done after its due time (late forever), or still open past it. Open past its warning
point: yellow. Late and still open: red."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from .choices import TaskStatus

GREEN, YELLOW, RED = "green", "yellow", "red"


@dataclass(frozen=True)
class FollowUpFact:
    status: str
    due_at: datetime | None
    warn_at: datetime | None
    completed_at: datetime | None
    breached_at: datetime | None = None

    @classmethod
    def of(cls, task) -> FollowUpFact:
        return cls(task.status, task.due_at, task.warn_at, task.completed_at, task.breached_at)


def is_done(fact: FollowUpFact) -> bool:
    return fact.status == TaskStatus.DONE


def is_counted(fact: FollowUpFact) -> bool:
    """A cancelled follow-up no longer counts."""
    return fact.status != TaskStatus.CANCELLED


def is_late(fact: FollowUpFact, now: datetime) -> bool:
    if not is_counted(fact):
        return False
    if is_done(fact):
        if fact.completed_at is None:
            return False
        return fact.breached_at is not None or (
            fact.due_at is not None and fact.completed_at > fact.due_at
        )
    return fact.breached_at is not None or (fact.due_at is not None and now >= fact.due_at)


def light(fact: FollowUpFact, now: datetime) -> str:
    """The light of one follow-up: red when late and still open, yellow past its warning point,
    green otherwise (a done follow-up is green, even a late one: it shows "late" in words)."""
    if not is_counted(fact) or is_done(fact):
        return GREEN
    if is_late(fact, now):
        return RED
    if fact.warn_at is not None and now >= fact.warn_at:
        return YELLOW
    return GREEN


@dataclass(frozen=True)
class FollowThrough:
    total: int
    done: int
    late: int
    open: int
    light: str

    @property
    def any(self) -> bool:
        return self.total > 0


_RANK = {GREEN: 0, YELLOW: 1, RED: 2}


def follow_through(facts: Iterable[FollowUpFact], now: datetime) -> FollowThrough:
    counted = [f for f in facts if is_counted(f)]
    lights = [light(f, now) for f in counted]
    worst = max(lights, key=_RANK.__getitem__, default=GREEN)
    done = sum(1 for f in counted if is_done(f))
    return FollowThrough(
        total=len(counted),
        done=done,
        late=sum(1 for f in counted if is_late(f, now)),
        open=len(counted) - done,
        light=worst,
    )
