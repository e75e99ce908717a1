"""Whether a responsibility map is covered: the arithmetic, with no database.

A duty of a map, in a unit the map covers, is **covered** when its holder can act — active (the
resolver only considers employed people), not absent at that moment, reachable on at least two
channels and trained — or, failing that, when the deputy can (the delegate of an absent holder,
else the next in line the resolver would pick with the holder passed over). Otherwise it is a
**gap**, named by what keeps the holder from acting: ``vacant`` (nobody holds the role),
``absent``, ``unreachable``, ``untrained``.

Reachability counts out-of-band addresses only: e-mail, a mobile number (SMS and voice ring
the same phone, so it counts once), a DingTalk, WeCom or Feishu id. In-app does not count: it
reaches a person only while they look at Keel, and every account has it, so counting it would
make a single real channel look like two.

Trained means the competency app says the person's latest evidence for every skill the duty
names is current and passing (``responsibilities.competencies.current_training``) and, where the
person has practised the scenario's role (a drill or a simulation), that their last practice is
current — drill currency (``responsibilities.competencies.practice_currency``): a failed or
overdue drill makes a holder untrained. Without a competency app nothing is checked and nobody is
untrained.

**Drill currency** of a scenario (per unit and overall) is the share of role holders whose last
drill or simulation for the role is current (``practice_share``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

VACANT, ABSENT, UNREACHABLE, UNTRAINED = "vacant", "absent", "unreachable", "untrained"
GAP_KINDS = (VACANT, ABSENT, UNREACHABLE, UNTRAINED)
GAP_LABELS = {
    VACANT: _("vacant"),
    ABSENT: _("absent"),
    UNREACHABLE: _("unreachable"),
    UNTRAINED: _("untrained"),
}
# Out-of-band contact channels (ContactCard fields) and how many a holder needs.
REACH_FIELDS = (
    ("email", "email"),
    ("mobile", "mobile"),
    ("dingtalk", "dingtalk_user_id"),
    ("wecom", "wecom_user_id"),
    ("feishu", "feishu_open_id"),
)
MIN_CHANNELS = 2


def reach_channels(card) -> tuple[str, ...]:
    """The out-of-band channels a contact card (``hrcore.contact.ContactCard``) has an address
    on, in a fixed order."""
    return tuple(name for name, attr in REACH_FIELDS if (getattr(card, attr, "") or "").strip())


def person_issues(
    *,
    absent: bool,
    channels: Iterable[str],
    skills: Iterable[str],
    current: set[str] | None,
    practice_current: bool | None = None,
) -> tuple[str, ...]:
    """What keeps a person from acting on a duty, in the order of ``GAP_KINDS``.

    ``current``: the skills of the duty the person holds current evidence for; None when
    training is not checked (no competency app). ``practice_current``: whether their last drill
    or simulation for the scenario's role is current; None when they have none (or practice is
    not checked)."""
    issues = []
    if absent:
        issues.append(ABSENT)
    if len(set(channels)) < MIN_CHANNELS:
        issues.append(UNREACHABLE)
    skills_missing = current is not None and any(skill not in current for skill in skills)
    if skills_missing or practice_current is False:
        issues.append(UNTRAINED)
    return tuple(issues)


@dataclass(frozen=True)
class PersonCheck:
    """One person checked against one duty."""

    employee_id: int
    channels: tuple[str, ...] = ()
    issues: tuple[str, ...] = ()
    missing_skills: tuple[str, ...] = ()
    practice_current: bool | None = None  # last drill or simulation current; None: never practised

    @property
    def can_act(self) -> bool:
        return not self.issues


@dataclass(frozen=True)
class DutyCover:
    """A duty in one unit: its holder, its deputy, and whether either can act."""

    duty: str
    unit: str
    holder: PersonCheck | None = None
    deputy: PersonCheck | None = None

    @property
    def covered_by(self) -> str | None:
        if self.holder is not None and self.holder.can_act:
            return "holder"
        if self.deputy is not None and self.deputy.can_act:
            return "deputy"
        return None

    @property
    def covered(self) -> bool:
        return self.covered_by is not None

    @property
    def gaps(self) -> tuple[str, ...]:
        """Empty when covered; else why the holder cannot act (``vacant`` without one)."""
        if self.covered:
            return ()
        if self.holder is None:
            return (VACANT,)
        return self.holder.issues


@dataclass(frozen=True)
class Tally:
    covered: int = 0
    total: int = 0

    @property
    def score(self) -> float:
        """Covered share, 0.0–1.0; 1.0 when there is nothing to cover."""
        return 1.0 if self.total == 0 else self.covered / self.total

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.covered + other.covered, self.total + other.total)


def tally(covers: Iterable[DutyCover]) -> Tally:
    covers = list(covers)
    return Tally(sum(1 for c in covers if c.covered), len(covers))


def combined(tallies: Iterable[Tally]) -> Tally:
    """A scenario's tally: every (unit, duty) of its maps in force counts once."""
    total = Tally()
    for t in tallies:
        total = total + t
    return total


def gap_counts(covers: Iterable[DutyCover]) -> dict[str, int]:
    """How many uncovered duties each gap kind names, in the order of ``GAP_KINDS``."""
    counts = dict.fromkeys(GAP_KINDS, 0)
    for cover in covers:
        for kind in cover.gaps:
            counts[kind] += 1
    return {k: v for k, v in counts.items() if v}


@dataclass(frozen=True)
class PracticeShare:
    """Drill currency: how many role holders' last drill or simulation is current."""

    current: int = 0
    total: int = 0

    @property
    def percent(self) -> int:
        """Whole percent; 100 when nobody holds a role."""
        return 100 if self.total == 0 else int(100 * self.current / self.total)


def practice_share(
    rows: Iterable[Mapping],
) -> tuple[PracticeShare, list[tuple[str, PracticeShare]]]:
    """Drill currency of coverage rows (``coverage_selectors`` rows: ``unit``, ``holder`` with
    ``practice_current``): overall and per unit in row order. Each holder counts once per unit
    however many duties they hold; a holder who never practised is not current."""
    seen: dict[str, dict[int, bool]] = {}
    for row in rows:
        holder = row.get("holder")
        if holder is None:
            continue
        unit = seen.setdefault(row["unit"], {})
        unit[holder["id"]] = unit.get(holder["id"], False) or holder.get("practice_current") is True
    per_unit = [
        (unit, PracticeShare(sum(people.values()), len(people))) for unit, people in seen.items()
    ]
    overall = PracticeShare(
        sum(s.current for _u, s in per_unit), sum(s.total for _u, s in per_unit)
    )
    return overall, per_unit


@dataclass(frozen=True)
class AlertDecision:
    send: bool
    alerted: bool  # the state to keep: an alert is out for the current drop


def alert_decision(*, critical: bool, score: float, alerted: bool) -> AlertDecision:
    """Alert once per drop of a critical scenario below 100 %; the next alert waits until the
    scenario has recovered to 100 %."""
    if not critical:
        return AlertDecision(False, False)
    if score < 1.0:
        return AlertDecision(not alerted, True)
    return AlertDecision(False, False)


@dataclass(frozen=True)
class Coverage:
    """A map's coverage over its units, as stored and served."""

    covers: tuple[DutyCover, ...] = field(default_factory=tuple)

    @property
    def tally(self) -> Tally:
        return tally(self.covers)

    def for_unit(self, unit: str) -> Coverage:
        return Coverage(tuple(c for c in self.covers if c.unit == unit))

    def by_unit(self) -> Mapping[str, list[DutyCover]]:
        out: dict[str, list[DutyCover]] = {}
        for cover in self.covers:
            out.setdefault(cover.unit, []).append(cover)
        return out
