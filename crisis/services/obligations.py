"""Statutory clocks (issue 15 §3): starting a crisis's legal obligations when their triggers
fire, filing them (with proof) or marking them not applicable (with a reason), extending or
re-dating one, the sweep that warns, breaches and escalates them, and HR admins' edits of the
library. The arithmetic is ``crisis.obligations`` (pure)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hrcore import sla
from hrcore.claims import fire_each
from hrcore.errors import Conflict, KeelError, NotFound, PermissionDenied, ValidationFailed
from hrcore.models import Employee
from hrcore.notification_kinds import when
from hrcore.selectors import (
    calendar_for_unit,
    crisis_executive_key,
    is_hr_admin,
    resolve_assignee,
)
from hrcore.services.notifications import notification_send
from hrcore.text import check_length
from responsibilities.models import Scenario

from .. import obligations as rules
from ..choices import CrisisStatus, Severity
from ..drill_timing import crisis_drill_speed, drill_text
from ..models import NOTE_MAX_LENGTH, Crisis, CrisisObligation, Decision, Obligation
from .common import crisis_link, drill_marked, filer_employee, require_manager
from .uploads import validate_upload

logger = logging.getLogger(__name__)

State = rules.ObligationState
Trigger = rules.ObligationTrigger
SWEEP_BATCH = 200


# --- Starting clocks ------------------------------------------------------------------------


def _trigger_moment(
    obligation: Obligation, crisis: Crisis, at: datetime, decisions: list[tuple[str, datetime]]
) -> datetime | None:
    """When ``obligation``'s trigger fired for ``crisis`` (None: it has not)."""
    if obligation.trigger in (Trigger.AWARENESS, Trigger.INCIDENT_START):
        return crisis.filed_at
    if obligation.trigger == Trigger.CLASSIFICATION:
        return at if rules.classification_applies(obligation.severities, crisis.severity) else None
    if obligation.trigger == Trigger.DECISION:
        for option, made_at in decisions:
            if rules.decision_applies(obligation.decision_options, option):
                return made_at
    return None


def _timed(
    clock: CrisisObligation, start: datetime, value: int, calendar: sla.Calendar | None
) -> None:
    due = rules.due_at(start=start, value=value, unit=clock.period_unit, calendar=calendar)
    speed = clock.crisis.drill_speed if clock.crisis.is_drill else 1
    if speed > 1:  # a drill's compressed clock (issue 16): the period divided, at least a minute
        due = start + max((due - start) / speed, timedelta(minutes=1))
    clock.triggered_at, clock.due_at = start, due
    clock.warn_at = rules.warn_at(start=start, due=due, ratio=clock.warn_ratio)


def _scenario_obligations(scenario_id: int) -> list[Obligation]:
    """The active obligations of a scenario, by code — what ``obligations_sync`` starts on a
    new crisis. A fixed statement run as it is: filing asks on every crisis, and most
    scenarios have none, so building the query through the ORM cost more than running it."""
    link = Obligation.scenarios.field
    return list(
        Obligation.objects.raw(
            f"SELECT o.* FROM {Obligation._meta.db_table} o"
            f" INNER JOIN {link.m2m_db_table()} s ON s.{link.m2m_column_name()} = o.id"
            f" WHERE o.is_active = %s AND s.{link.m2m_reverse_name()} = %s ORDER BY o.code",
            [True, scenario_id],
        )
    )


def obligations_sync(
    crisis: Crisis, *, at: datetime | None = None, fresh: bool = False
) -> list[CrisisObligation]:
    """Start every obligation of the crisis's scenario whose trigger has fired and that is not
    running yet (idempotent; a constant number of queries). Called when a crisis is filed and
    when a decision is made; a severity change calls it too (the classification trigger).
    Returns the clocks started now. ``fresh``: the crisis was made in this transaction, so no
    clock runs yet (nothing to leave out)."""
    at = at or timezone.now()
    if fresh:
        candidates = _scenario_obligations(crisis.scenario_id)
    else:
        started = CrisisObligation.objects.filter(crisis=crisis).values("obligation_id")
        candidates = list(
            Obligation.objects.filter(is_active=True, scenarios=crisis.scenario_id)
            .exclude(pk__in=started)
            .order_by("code")
        )
    if not candidates:
        return []
    decisions: list[tuple[str, datetime]] = []
    if any(o.trigger == Trigger.DECISION for o in candidates):
        decisions = list(
            Decision.objects.filter(crisis=crisis)
            .order_by("made_at", "id")
            .values_list("option", "made_at")
        )
    calendar = None
    if any(o.period_unit != rules.PeriodUnit.HOURS for o in candidates):
        calendar = calendar_for_unit(crisis.unit)
    clocks = []
    for obligation in candidates:
        start = _trigger_moment(obligation, crisis, at, decisions)
        if start is None:
            continue
        clock = CrisisObligation(
            crisis=crisis,
            obligation=obligation,
            code=obligation.code,
            title_zh=obligation.title_zh,
            title_en=obligation.title_en,
            basis_zh=obligation.basis_zh,
            basis_en=obligation.basis_en,
            trigger=obligation.trigger,
            period_value=obligation.period_value,
            period_unit=obligation.period_unit,
            extension_value=obligation.extension_value,
            warn_ratio=obligation.warn_ratio,
        )
        _timed(clock, start, obligation.period_value, calendar)
        clocks.append(clock)
    # A concurrent sync of the same crisis may have written some: the unique constraint keeps one.
    CrisisObligation.objects.bulk_create(clocks, ignore_conflicts=True)
    return clocks


def obligations_stop_drill(crisis: Crisis, *, actor, reason: str, at: datetime) -> int:
    """A drill's statutory clocks stop with it (closed or stopped): running or breached ones
    become not applicable with ``reason``, so none breaches or escalates on the record
    afterwards. Real crises' clocks run on after closure (``obligations_sweep``)."""
    if not crisis.is_drill:
        return 0
    return CrisisObligation.objects.filter(
        crisis=crisis, state__in=rules.OBLIGATION_OPEN_STATES
    ).update(
        state=State.NOT_APPLICABLE,
        reason=reason,
        filed_at=at,
        filed_by=actor,
        escalate_at=None,
    )


# --- Filing ---------------------------------------------------------------------------------


def _locked(clock: CrisisObligation | int, actor) -> CrisisObligation:
    """The clock locked for this transaction, after the checks every write shares: the crisis is
    visible (else 404) and the actor may manage it (crisis manager, executive, HR admin)."""
    pk = clock if isinstance(clock, int) else clock.pk
    locked = (
        CrisisObligation.objects.select_for_update(of=("self",))
        .select_related("crisis", "crisis__unit")
        .filter(pk=pk)
        .first()
    )
    if locked is None:
        raise NotFound(_("Not found, or not visible to you."))
    require_manager(
        actor,
        locked.crisis,
        refusal=_(
            "Only the crisis manager, an executive or an HR admin may file statutory clocks."
        ),
        code="not_crisis_manager",
    )
    return locked


def _require_open(clock: CrisisObligation) -> None:
    if clock.state in rules.OBLIGATION_OPEN_STATES:
        return
    done = timezone.localtime(clock.filed_at).strftime("%Y-%m-%d %H:%M") if clock.filed_at else ""
    if clock.state == State.FILED:
        message = _("This obligation was already filed (%(when)s).") % {"when": done}
    else:
        message = _("This obligation was already marked not applicable (%(when)s).") % {
            "when": done
        }
    raise Conflict(message, code="obligation_closed")


@transaction.atomic
def obligation_file(
    *,
    clock: CrisisObligation | int,
    actor,
    note: str = "",
    file: UploadedFile | None = None,
    at: datetime | None = None,
) -> CrisisObligation:
    """Record that the obligation was met: who, when, a note and/or the proof (an upload with the
    deliverables' limits). A breached clock can still be filed: it stays late."""
    clock = _locked(clock, actor)
    _require_open(clock)
    note = (note or "").strip()
    errors: dict[str, str] = {}
    check_length(errors, "note", note, NOTE_MAX_LENGTH)
    if errors:
        raise ValidationFailed(_("The filing is not valid."), errors=errors)
    if not note and file is None:
        raise ValidationFailed(
            _("Say what was filed (a note) or attach the proof (a file)."),
            errors={"note": _("Give a note or a file.")},
        )
    if file is not None:
        name, content_type = validate_upload(file)
        clock.file.save(name, file, save=False)
        clock.file_name, clock.file_size, clock.content_type = name, file.size, content_type
    clock.state, clock.note = State.FILED, note
    clock.filed_at, clock.filed_by = at or timezone.now(), actor
    clock.escalate_at = None
    clock.save()
    return clock


@transaction.atomic
def obligation_not_applicable(
    *, clock: CrisisObligation | int, actor, reason: str, at: datetime | None = None
) -> CrisisObligation:
    """The obligation does not apply to this crisis (e.g. no EU data subject): the reason is
    required and kept with who said so and when."""
    clock = _locked(clock, actor)
    _require_open(clock)
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if not reason:
        errors["reason"] = _("Say why the obligation does not apply.")
    check_length(errors, "reason", reason, NOTE_MAX_LENGTH)
    if errors:
        raise ValidationFailed(_("Give a reason."), errors=errors)
    clock.state, clock.reason = State.NOT_APPLICABLE, reason
    clock.filed_at, clock.filed_by = at or timezone.now(), actor
    clock.escalate_at = None
    clock.save()
    return clock


def _retime(clock: CrisisObligation, start: datetime, value: int, now: datetime) -> None:
    """New due and warning times; a clock whose new due time is ahead runs (and warns) again."""
    _timed(clock, start, value, calendar_for_unit(clock.crisis.unit))
    if clock.due_at > now:
        clock.state, clock.breached_at, clock.escalate_at = State.RUNNING, None, None
        clock.escalated_at = None
        if clock.warn_at > now:
            clock.warned_at = None


@transaction.atomic
def obligation_extend(*, clock: CrisisObligation | int, actor, reason: str) -> CrisisObligation:
    """Use the period's one extension (e.g. the arbitration commission's 15 days)."""
    clock = _locked(clock, actor)
    _require_open(clock)
    if not clock.extension_value:
        raise Conflict(_("This obligation's period cannot be extended."), code="no_extension")
    if clock.extended_at is not None:
        raise Conflict(_("The period was already extended."), code="already_extended")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            _("Say who granted the extension."), errors={"reason": _("Give a reason.")}
        )
    now = timezone.now()
    _retime(clock, clock.triggered_at, clock.period_value + clock.extension_value, now)
    clock.extended_at, clock.extension_reason = now, reason[:NOTE_MAX_LENGTH]
    clock.save()
    return clock


@transaction.atomic
def obligation_start_correct(
    *, clock: CrisisObligation | int, actor, started_at: datetime
) -> CrisisObligation:
    """The incident started before the crisis was filed (an accident reported late): the clock
    counts from the real start. Only earlier, never in the future."""
    clock = _locked(clock, actor)
    _require_open(clock)
    if clock.trigger != Trigger.INCIDENT_START:
        raise Conflict(
            _("Only a clock that counts from the start of the incident can be re-dated."),
            code="not_incident_start",
        )
    now = timezone.now()
    if started_at > clock.triggered_at or started_at > now:
        raise ValidationFailed(
            _("The incident can only have started earlier than the clock's current start."),
            errors={"started_at": _("Give an earlier time.")},
        )
    value = clock.period_value + (clock.extension_value if clock.extended_at else 0)
    _retime(clock, started_at, value, now)
    clock.save()
    return clock


# --- The sweep ------------------------------------------------------------------------------


def _executive(crisis: Crisis, at: datetime) -> Employee | None:
    function, position = crisis_executive_key()
    try:
        return resolve_assignee(
            unit=crisis.unit, function=function or None, position=position or None, at=at
        ).employee
    except KeelError:
        return None


def _notify(
    clock: CrisisObligation, people: Iterable[Employee | None], kind: str, key: str, **params
) -> None:
    seen = set()
    for employee in people:
        if employee is None or employee.pk in seen or not employee.is_active:
            continue
        seen.add(employee.pk)
        notification_send(
            recipient=employee.user,
            kind=kind,
            params=drill_marked(
                clock.crisis,
                {
                    "crisis_title": clock.crisis.title,
                    # a drill's "within 4 hours" on its compressed clock, like its due time
                    "obligation": {
                        "zh": drill_text(clock.title_zh, crisis_drill_speed(clock.crisis)),
                        "en": drill_text(clock.title_en, crisis_drill_speed(clock.crisis)),
                    },
                    **params,
                },
            ),
            link=crisis_link(clock.crisis_id),
            data={"crisis_id": clock.crisis_id, "obligation_id": clock.pk},
            dedupe_key=f"crisis:obligation:{clock.pk}:{key}:{employee.pk}",
        )


def _manager_or_executive(clock: CrisisObligation, now: datetime) -> list[Employee | None]:
    manager = filer_employee(clock.crisis)
    return [manager] if manager is not None else [_executive(clock.crisis, now)]


def _paging(clock: CrisisObligation) -> bool:
    """Whether the sweep tells people: only about open crises (a closed crisis's clock still
    warns, breaches and escalates on the record, quietly — nobody is paged about a crisis they
    closed; its page shows the clock as missed)."""
    return clock.crisis.status == CrisisStatus.OPEN


def _fire_warning(clock: CrisisObligation, now: datetime) -> bool:
    claimed = CrisisObligation.objects.filter(
        pk=clock.pk, state=State.RUNNING, warned_at__isnull=True
    ).update(warned_at=now)
    if claimed and _paging(clock):
        manager = _manager_or_executive(clock, now)
        time_zone = manager[0].time_zone if manager[0] else settings.TIME_ZONE
        _notify(
            clock,
            manager,
            "crisis.obligation_warning",
            "warning",
            due_at=when(clock.due_at),
            time_zone=time_zone,
        )
    return bool(claimed)


def _fire_breach(clock: CrisisObligation, now: datetime) -> bool:
    escalate = rules.escalate_at(due=clock.due_at, start=clock.triggered_at)
    claimed = CrisisObligation.objects.filter(pk=clock.pk, state=State.RUNNING).update(
        state=State.BREACHED, breached_at=now, escalate_at=max(escalate, now)
    )
    if claimed and _paging(clock):
        _notify(clock, _manager_or_executive(clock, now), "crisis.obligation_breach", "breach")
    return bool(claimed)


def _fire_escalation(clock: CrisisObligation, now: datetime) -> bool:
    claimed = CrisisObligation.objects.filter(
        pk=clock.pk, state=State.BREACHED, escalate_at=clock.escalate_at
    ).update(escalate_at=None, escalated_at=now)
    if claimed and _paging(clock):
        _notify(
            clock, [_executive(clock.crisis, now)], "crisis.obligation_escalation", "escalation"
        )
    return bool(claimed)


def _sweep_kind(qs, order_field: str, fire: Callable, now: datetime, batch: int) -> int:
    fired = 0
    qs = qs.select_related("crisis", "crisis__unit", "crisis__filed_by__employee__user")
    for _round in range(10_000):  # bounded catch-up after downtime
        with transaction.atomic():
            rows = list(qs.order_by(order_field, "id")[:batch])
            moved = fire_each(rows, lambda clock: fire(clock, now), what="statutory clock")
        fired += moved
        if len(rows) < batch or not moved:
            break
    return fired


def obligations_sweep(now: datetime | None = None, *, batch: int = SWEEP_BATCH) -> dict[str, int]:
    """Warn before, breach at and escalate after the due time of every statutory clock, once
    each (compare-and-set updates; registered in ``KEEL_TICK_SWEEPS``). A clock runs whether or
    not its crisis is still open — the law does not stop when the company closes its file — but
    only an open crisis's people are notified (``_paging``)."""
    now = now or timezone.now()
    rows = CrisisObligation.objects
    return {
        "warning": _sweep_kind(
            rows.filter(
                state=State.RUNNING, warned_at__isnull=True, warn_at__lte=now, due_at__gt=now
            ),
            "warn_at",
            _fire_warning,
            now,
            batch,
        ),
        "breach": _sweep_kind(
            rows.filter(state=State.RUNNING, due_at__lte=now), "due_at", _fire_breach, now, batch
        ),
        "escalation": _sweep_kind(
            rows.filter(state=State.BREACHED, escalate_at__lte=now),
            "escalate_at",
            _fire_escalation,
            now,
            batch,
        ),
    }


# --- The library, edited by HR admins -------------------------------------------------------

OBLIGATION_TEXT_FIELDS = ("title_zh", "title_en", "basis_zh", "basis_en")


@transaction.atomic
def obligation_save(
    *, obligation: Obligation | None, data: dict, scenarios: Iterable[Scenario], actor
) -> Obligation:
    """Create (``obligation`` None) or edit a library obligation. Running clocks keep the
    snapshot they started with."""
    if not is_hr_admin(actor):
        raise PermissionDenied(_("Only HR admins edit the statutory obligations."))
    obligation = obligation or Obligation()
    errors: dict[str, str] = {}
    for name in ("code", *OBLIGATION_TEXT_FIELDS):
        if not str(data.get(name) or "").strip():
            errors[name] = _("This field is required.")
    trigger = data.get("trigger")
    if trigger not in Trigger.values:
        errors["trigger"] = _("Choose a trigger.")
    if data.get("period_unit") not in rules.PeriodUnit.values:
        errors["period_unit"] = _("Choose a period unit.")
    try:
        value = int(data.get("period_value") or 0)
    except (TypeError, ValueError):
        value = 0
    if not 0 < value <= rules.MAX_PERIOD_DAYS:
        errors["period_value"] = _("A whole number from 1 to %(max)s.") % {
            "max": rules.MAX_PERIOD_DAYS
        }
    try:
        extension = int(data.get("extension_value") or 0)
        warn_ratio = float(data.get("warn_ratio") if data.get("warn_ratio") is not None else 0.75)
    except (TypeError, ValueError):
        extension, warn_ratio = -1, -1.0
    if not 0 <= extension <= rules.MAX_PERIOD_DAYS:
        errors["extension_value"] = _("A whole number from 0 to %(max)s.") % {
            "max": rules.MAX_PERIOD_DAYS
        }
    if not 0 <= warn_ratio <= 1:
        errors["warn_ratio"] = _("A share from 0 to 1.")
    severities = [s for s in data.get("severities") or [] if s]
    if any(s not in Severity.values for s in severities):
        errors["severities"] = _("Unknown severity.")
    if trigger == Trigger.CLASSIFICATION and not severities:
        errors["severities"] = _("Name the severities that start the clock.")
    code = str(data.get("code") or "").strip()
    if code and Obligation.objects.filter(code=code).exclude(pk=obligation.pk).exists():
        errors["code"] = _("Another obligation has this code.")
    if errors:
        raise ValidationFailed(_("The obligation is not valid."), errors=errors)
    obligation.code = code
    for name in (*OBLIGATION_TEXT_FIELDS, "guidance_zh", "guidance_en"):
        setattr(obligation, name, str(data.get(name) or "").strip())
    obligation.trigger, obligation.period_unit = trigger, data["period_unit"]
    obligation.period_value, obligation.severities = value, severities
    obligation.decision_options = [o for o in data.get("decision_options") or [] if o]
    obligation.extension_value, obligation.warn_ratio = extension, warn_ratio
    obligation.is_active = bool(data.get("is_active", True))
    obligation.save()
    obligation.scenarios.set(list(scenarios))
    return obligation
