"""Performance events both ways (issue 17 §1): a fact that counts (a complaint, an approved
commission, a crisis duty done on time or late, a resilience star, a drill duty, a simulation)
is recorded once per source with the points of the rule in force, and leaves for the
performance/OKR partner through the outbox in the same transaction; goals and reviews pulled back
from the partner are stored here. The sources live in crisis, competency and integrations: each
calls ``performance_event_record`` from its own service. The delivery and the pull live in
integrations (the outbox handler of ``PERFORMANCE_CHANNEL`` and ``performance_puller_register``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..audit import AuditAction, audit
from ..errors import Conflict, PermissionDenied, ValidationFailed
from ..models import Employee
from ..performance_models import (
    PERFORMANCE_VARIANTS,
    PerformanceEvent,
    PerformanceGoal,
    PerformancePull,
    PerformanceReview,
    PerformanceRule,
)
from ..performance_selectors import performance_points_for
from ..selectors import is_hr_admin
from .outbox import outbox_enqueue

PERFORMANCE_CHANNEL = "performance"
POINTS_LIMIT = 100  # the partner's bound for one event (−100 … 100)
PERIOD_ZONE = ZoneInfo(settings.TIME_ZONE)  # the group's months, not the reader's or UTC's


def _check_kind(kind: str, variant: str) -> None:
    if variant not in PERFORMANCE_VARIANTS.get(kind, ()):
        raise ValidationFailed(
            _("Unknown kind of performance event."), errors={"kind": f"{kind}:{variant}"}
        )


@transaction.atomic
def performance_event_record(
    *,
    employee: Employee | None,
    kind: str,
    variant: str = "",
    source_key: str,
    summary: tuple[str, str] = ("", ""),
    link: str = "",
    count: int = 1,
    occurred_at: datetime | None = None,
) -> PerformanceEvent | None:
    """Record the fact named by ``source_key`` on ``employee``'s performance record once, at the
    points of the rule for (kind, variant) times ``count`` (stars), and queue it for the
    performance partner in the same transaction. Recording it again changes nothing and returns
    the first event; no person (a complaint about a customer without an owner): None."""
    _check_kind(kind, variant)
    if employee is None:
        return None
    if not source_key:
        raise ValidationFailed(
            _("A source key is required."), errors={"source_key": _("Required.")}
        )
    existing = PerformanceEvent.objects.filter(source_key=source_key).first()
    if existing is not None:
        return existing
    at = occurred_at or timezone.now()
    points = max(-POINTS_LIMIT, min(POINTS_LIMIT, performance_points_for(kind, variant) * count))
    try:
        with transaction.atomic():
            event = PerformanceEvent.objects.create(
                employee=employee,
                kind=kind,
                variant=variant,
                source_key=source_key[:200],
                points=points,
                summary_zh=(summary[0] or summary[1])[:300],
                summary_en=(summary[1] or summary[0])[:300],
                link=link[:300],
                occurred_at=at,
                period=at.astimezone(PERIOD_ZONE).strftime("%Y-%m"),
            )
    except IntegrityError:  # recorded by a concurrent call between the check and the insert
        return PerformanceEvent.objects.get(source_key=source_key)
    _enqueue(event)
    return event


@transaction.atomic
def performance_event_reverse(
    *, source_key: str, summary: tuple[str, str] = ("", ""), link: str = ""
) -> PerformanceEvent | None:
    """Compensate the event recorded for ``source_key`` (a complaint dismissed, a commission
    reversed after approval): a second event of the same kind and variant with the opposite
    points, under the key ``<source_key>:reversed``, queued for the partner in the same
    transaction. Events are never edited — the partner already holds the first one. Reversing
    again changes nothing and returns the first compensation; nothing recorded: None."""
    key = f"{source_key}:reversed"[:200]
    existing = PerformanceEvent.objects.filter(source_key=key).first()
    if existing is not None:
        return existing
    original = (
        PerformanceEvent.objects.select_related("employee__user")
        .filter(source_key=source_key)
        .first()
    )
    if original is None:
        return None
    at = timezone.now()
    try:
        with transaction.atomic():
            event = PerformanceEvent.objects.create(
                employee=original.employee,
                kind=original.kind,
                variant=original.variant,
                source_key=key,
                points=-original.points,
                summary_zh=(summary[0] or summary[1] or original.summary_zh)[:300],
                summary_en=(summary[1] or summary[0] or original.summary_en)[:300],
                link=(link or original.link)[:300],
                occurred_at=at,
                period=at.astimezone(PERIOD_ZONE).strftime("%Y-%m"),
            )
    except IntegrityError:  # compensated by a concurrent call between the check and the insert
        return PerformanceEvent.objects.get(source_key=key)
    _enqueue(event)
    return event


def _enqueue(event: PerformanceEvent) -> None:
    outbox_enqueue(
        channel=PERFORMANCE_CHANNEL,
        dedupe_key=f"performance:{event.source_key}",
        payload={
            "event_id": event.pk,
            "employee": event.employee.user.get_username(),
            "kind": event.kind,
            "reference": event.source_key,
            "points": event.points,
        },
    )


def performance_event_mark_sent(*, event_id: int, partner_reference: str) -> None:
    """The partner accepted the event (called by the delivery after the partner answered)."""
    PerformanceEvent.objects.filter(pk=event_id).update(
        partner_reference=partner_reference[:100], sent_at=timezone.now()
    )


@transaction.atomic
def performance_rules_update(*, points: dict[tuple[str, str], int], actor: AbstractBaseUser) -> int:
    """HR admins set how many points kinds of events count — all the changes or none; events
    already recorded keep the points they were recorded (and sent) with. Returns how many
    rules changed."""
    if not is_hr_admin(actor):
        raise PermissionDenied(_("Only HR admins edit the performance rules."))
    errors = {}
    for (kind, variant), value in points.items():
        _check_kind(kind, variant)
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) > POINTS_LIMIT:
            errors[f"{kind}:{variant}"] = _("A whole number from -100 to 100.")
    if errors:
        raise ValidationFailed(_("Points are a whole number from -100 to 100."), errors=errors)
    changed = 0
    for (kind, variant), value in points.items():
        rule = (
            PerformanceRule.objects.select_for_update().filter(kind=kind, variant=variant).first()
        )
        before = rule.points if rule else performance_points_for(kind, variant)
        if rule is not None and rule.points == value:
            continue
        rule = rule or PerformanceRule(kind=kind, variant=variant)
        rule.points, rule.updated_at, rule.updated_by = value, timezone.now(), actor
        rule.save()
        audit(rule, AuditAction.UPDATE, changes={"points": [before, value]}, actor=actor)
        changed += 1
    return changed


# --- goals and reviews pulled back ---------------------------------------------------------


GOAL_TEXT = {"title_zh": 300, "title_en": 300, "period": 16, "status": 20}
REVIEW_TEXT = {"period": 16, "rating": 20, "reviewer": 100, "summary_zh": 4000, "summary_en": 4000}


def _text(value, limit: int) -> str:
    return str(value or "")[:limit]


@transaction.atomic
def performance_pulled_store(
    *, employee: Employee, goals: list[dict], reviews: list[dict], at: datetime | None = None
) -> tuple[int, int]:
    """Replace the person's goals and reviews by what the partner holds now (rows it no longer
    holds are removed); returns (goals, reviews) stored."""
    at = at or timezone.now()
    for model, rows, limits in (
        (PerformanceGoal, goals, GOAL_TEXT),
        (PerformanceReview, reviews, REVIEW_TEXT),
    ):
        keep = []
        for row in rows:
            values = {name: _text(row.get(name), limit) for name, limit in limits.items()}
            if model is PerformanceGoal:
                values["progress"] = max(0, min(100, int(row.get("progress") or 0)))
                values["due_on"] = row.get("due_on")
            else:
                values["reviewed_on"] = row.get("reviewed_on")
            external_id = _text(row["external_id"], 64)
            model.objects.update_or_create(
                employee=employee, external_id=external_id, defaults={**values, "pulled_at": at}
            )
            keep.append(external_id)
        model.objects.filter(employee=employee).exclude(external_id__in=keep).delete()
    PerformancePull.objects.update_or_create(
        employee=employee, defaults={"pulled_at": at, "attempted_at": at, "error": ""}
    )
    return len(goals), len(reviews)


def performance_pull_failed(*, employee: Employee, error: str) -> None:
    """A pull that failed keeps what was pulled before and says why on the person's page."""
    PerformancePull.objects.update_or_create(
        employee=employee, defaults={"attempted_at": timezone.now(), "error": error[:300]}
    )


# The pull lives in integrations (it talks to the partner); integrations registers it in its
# AppConfig.ready() — hrcore's refresh button calls it without importing integrations.
Puller = Callable[[Employee], tuple[int, int]]
_PULLER: list[Puller] = []


def performance_puller_register(puller: Puller) -> None:
    _PULLER[:] = [puller]


def performance_refresh(*, employee: Employee, actor: AbstractBaseUser) -> tuple[int, int]:
    """HR admins pull one person's goals and reviews now (outside any transaction: it waits for
    the partner). No puller or no partner: a conflict with a clear message."""
    if not is_hr_admin(actor):
        raise PermissionDenied(_("Only HR admins refresh goals and reviews."))
    if not _PULLER:
        raise Conflict(_("No performance partner is connected."))
    return _PULLER[0](employee)
