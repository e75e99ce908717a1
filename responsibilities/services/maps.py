"""Writes to responsibility maps: create, edit a draft, revise, publish, archive, adapt a library
version, and the diff."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from hrcore.audit import AuditAction, audit
from hrcore.choices import UnitKind
from hrcore.errors import Conflict, ValidationFailed
from hrcore.models import OrgUnit
from hrcore.services.notifications import notification_send

from .. import planning
from ..choices import MapStatus
from ..models import Duty, ResponsibilityMap, Scenario
from ..selectors import in_force
from ..severity import clean_severity_factors, default_severity_factors
from .common import first_problem, require_hr_admin
from .validation import check_publishable, normalise_duties, validate_header

ADAPT_NOTE = "由标准库版本改编 / Adapted from the standard library version."


def _duty_to_dict(duty: Duty) -> dict:
    return {
        "code": duty.code,
        "assignee_function": duty.assignee_function,
        "assignee_position": duty.assignee_position.code if duty.assignee_position_id else "",
        "action_zh": duty.action_zh,
        "action_en": duty.action_en,
        "deliverable": duty.deliverable,
        "deadline_minutes": duty.deadline_minutes,
        "after": list(duty.after or []),
        "warn_ratio": duty.warn_ratio,
        "business_hours": duty.business_hours,
        "escalation": list(duty.escalation or []),
        "information_items": list(duty.information_items or []),
        "competencies": list(duty.competencies or []),
        "notes_zh": duty.notes_zh,
        "notes_en": duty.notes_en,
        "options": list(duty.options or []),
        "order": duty.order,
    }


def map_duty_dicts(responsibility_map: ResponsibilityMap) -> list[dict]:
    """The duties of a map as plain dicts (the input shape of the services)."""
    duties = responsibility_map.duties.all()
    return [_duty_to_dict(d) for d in sorted(duties, key=lambda d: (d.order, d.pk))]


def _write_duties(responsibility_map: ResponsibilityMap, duties: list[dict]) -> None:
    responsibility_map.duties.all().delete()
    Duty.objects.bulk_create(Duty(map=responsibility_map, **d) for d in duties)


@transaction.atomic
def responsibility_map_create(
    *,
    scenario: Scenario,
    scope: OrgUnit,
    duties: Sequence[Mapping],
    title_zh: str = "",
    title_en: str = "",
    change_note: str = "",
    effective_from: datetime | None = None,
    severity_factors: Mapping | None = None,
    actor,
) -> ResponsibilityMap:
    """Create a draft version for (scenario, scope) numbered after the existing ones."""
    require_hr_admin(actor)
    errors = validate_header(title_zh=title_zh, title_en=title_en, change_note=change_note)
    if scope.kind not in (UnitKind.GROUP, UnitKind.SUBSIDIARY):
        errors["scope"] = _("A map's scope is the group or a subsidiary, not a department.")
    clean, duty_errors = normalise_duties(duties)
    errors.update(duty_errors)
    factors = default_severity_factors()
    if severity_factors is not None:
        factors, factor_errors = clean_severity_factors(severity_factors)
        errors.update(factor_errors)
    if errors:
        raise ValidationFailed(first_problem(_("The map is not valid."), errors), errors=errors)
    existing_draft = ResponsibilityMap.objects.filter(
        scenario=scenario, scope=scope, status=MapStatus.DRAFT
    ).first()
    if existing_draft is not None:
        raise Conflict(
            _(
                "There is already a draft (version %(version)d) of this scenario for %(scope)s; "
                "edit or publish it first."
            )
            % {"version": existing_draft.version, "scope": scope.name},
            errors={"scenario": _("A draft already exists.")},
        )
    last = (
        ResponsibilityMap.objects.filter(scenario=scenario, scope=scope).aggregate(
            v=Max("version")
        )["v"]
        or 0
    )
    try:
        with transaction.atomic():
            responsibility_map = ResponsibilityMap.objects.create(
                scenario=scenario,
                scope=scope,
                version=last + 1,
                status=MapStatus.DRAFT,
                title_zh=(title_zh or "").strip(),
                title_en=(title_en or "").strip(),
                change_note=change_note or "",
                effective_from=effective_from,
                severity_factors=factors,
                author=actor,
            )
    except IntegrityError as exc:  # a concurrent create won the race
        raise Conflict(_("Someone else just created a version of this map; reload.")) from exc
    _write_duties(responsibility_map, clean)
    audit(
        responsibility_map,
        AuditAction.CREATE,
        changes={"version": [None, responsibility_map.version], "duties": [None, len(clean)]},
        actor=actor,
    )
    return responsibility_map


def _lock(responsibility_map: ResponsibilityMap) -> ResponsibilityMap:
    return (
        ResponsibilityMap.objects.select_for_update()
        .select_related("scenario", "scope")
        .get(pk=responsibility_map.pk)
    )


@transaction.atomic
def responsibility_map_update(
    *,
    responsibility_map: ResponsibilityMap,
    duties: Sequence[Mapping] | None = None,
    title_zh: str | None = None,
    title_en: str | None = None,
    change_note: str | None = None,
    effective_from: datetime | None = None,
    severity_factors: Mapping | None = None,
    actor,
) -> ResponsibilityMap:
    """Edit a draft (its duties are replaced as a whole). Published and archived versions are
    frozen: use ``responsibility_map_revise`` to get the next draft."""
    require_hr_admin(actor)
    current = _lock(responsibility_map)
    if current.status != MapStatus.DRAFT:
        raise Conflict(
            _(
                "Version %(version)d is %(status)s and cannot be changed; edit it to create the "
                "next draft version."
            )
            % {"version": current.version, "status": current.get_status_display()},
            errors={"status": _("Only drafts can be edited.")},
        )
    title_zh = current.title_zh if title_zh is None else title_zh
    title_en = current.title_en if title_en is None else title_en
    change_note = current.change_note if change_note is None else change_note
    errors = validate_header(title_zh=title_zh, title_en=title_en, change_note=change_note)
    clean = None
    if duties is not None:
        clean, duty_errors = normalise_duties(duties)
        errors.update(duty_errors)
    if severity_factors is not None:
        factors, factor_errors = clean_severity_factors(severity_factors)
        errors.update(factor_errors)
        current.severity_factors = factors
    if errors:
        raise ValidationFailed(first_problem(_("The map is not valid."), errors), errors=errors)
    current.title_zh, current.title_en = title_zh.strip(), title_en.strip()
    current.change_note = change_note
    if effective_from is not None:
        current.effective_from = effective_from
    current.save(
        update_fields=["title_zh", "title_en", "change_note", "effective_from", "severity_factors"]
    )
    if clean is not None:
        _write_duties(current, clean)
    audit(current, AuditAction.UPDATE, changes={"duties": ["…", "edited"]}, actor=actor)
    return current


@transaction.atomic
def responsibility_map_revise(
    *, responsibility_map: ResponsibilityMap, actor, change_note: str = ""
) -> ResponsibilityMap:
    """Editing a published (or archived) version: the next draft, a copy of it. If a draft of
    the same scenario and scope already exists it is returned instead of forking a second one."""
    require_hr_admin(actor)
    current = _lock(responsibility_map)
    if current.status == MapStatus.DRAFT:
        return current
    existing = ResponsibilityMap.objects.filter(
        scenario_id=current.scenario_id, scope_id=current.scope_id, status=MapStatus.DRAFT
    ).first()
    if existing is not None:
        return existing
    last = ResponsibilityMap.objects.filter(
        scenario_id=current.scenario_id, scope_id=current.scope_id
    ).aggregate(v=Max("version"))["v"]
    draft = ResponsibilityMap.objects.create(
        scenario_id=current.scenario_id,
        scope_id=current.scope_id,
        version=last + 1,
        status=MapStatus.DRAFT,
        title_zh=current.title_zh,
        title_en=current.title_en,
        change_note=change_note,
        severity_factors=dict(current.severity_factors or default_severity_factors()),
        author=actor,
    )
    duties = [
        {k: v for k, v in _duty_to_dict(d).items() if k != "assignee_position"}
        | {"assignee_position_id": d.assignee_position_id}
        for d in current.duties.all()
    ]
    Duty.objects.bulk_create(Duty(map=draft, **d) for d in duties)
    audit(draft, AuditAction.CREATE, changes={"revises": [None, current.version]}, actor=actor)
    return draft


def responsibility_map_validate(*, responsibility_map: ResponsibilityMap) -> dict[str, str]:
    """Every problem that would stop this map from being published (empty dict: none)."""
    duties = map_duty_dicts(responsibility_map)
    clean, errors = normalise_duties(duties)
    if not errors:
        errors.update(check_publishable(responsibility_map, clean))
    return errors


@transaction.atomic
def responsibility_map_publish(
    *, responsibility_map: ResponsibilityMap, actor, effective_from: datetime | None = None
) -> ResponsibilityMap:
    """Validate and freeze a draft; the version it replaces is archived (crises that started
    under it keep running it) — at once, or, for a version effective from a future date, when
    that date comes (``services.coverage.maps_take_over``)."""
    require_hr_admin(actor)
    current = _lock(responsibility_map)
    if current.status != MapStatus.DRAFT:
        raise Conflict(
            _("Version %(version)d is already %(status)s; only drafts can be published.")
            % {"version": current.version, "status": current.get_status_display()},
            errors={"status": _("Only drafts can be published.")},
        )
    errors = responsibility_map_validate(responsibility_map=current)
    if errors:
        raise ValidationFailed(
            first_problem(_("The map cannot be published."), errors), errors=errors
        )
    now = timezone.now()
    starts = effective_from or current.effective_from or now
    previous = list(
        ResponsibilityMap.objects.select_for_update().filter(
            scenario_id=current.scenario_id,
            scope_id=current.scope_id,
            status=MapStatus.PUBLISHED,
        )
    )
    if starts > now:
        # Published for a future date: the version in force keeps running until then (the
        # coverage sweep archives it at the takeover); other waiting versions are replaced.
        running = [
            m for m in in_force(previous, now) if not m.effective_from or m.effective_from <= now
        ]
        previous = [m for m in previous if m not in running]
    for old in previous:
        old.status = MapStatus.ARCHIVED
        old.save(update_fields=["status"])
        audit(old, AuditAction.UPDATE, changes={"status": ["published", "archived"]}, actor=actor)
    current.status = MapStatus.PUBLISHED
    current.published_at = now
    current.effective_from = starts
    current.save(update_fields=["status", "published_at", "effective_from"])
    audit(current, AuditAction.UPDATE, changes={"status": ["draft", "published"]}, actor=actor)
    if actor is not None:  # seed data and system imports do not page the whole group
        _notify_affected(current, previous[0] if previous else None)
    return current


def _notify_affected(new: ResponsibilityMap, old: ResponsibilityMap | None) -> None:
    """Tell the people whose crisis duties were added or changed by this version (in-app and
    e-mail through the outbox, once per map version and person, rolled back with the publish)."""
    from django.urls import reverse

    from hrcore.models import Employee

    new_duties = map_duty_dicts(new)
    changes = planning.diff(map_duty_dicts(old) if old else [], new_duties)
    codes = set(changes.added) | {c.code for c in changes.changed}
    if not codes:
        return
    affected = [d for d in new_duties if d["code"] in codes]
    positions = {d["assignee_position"] for d in affected if d["assignee_position"]}
    functions = {d["assignee_function"] for d in affected if d["assignee_function"]}
    in_scope = Employee.objects.filter(
        is_active=True, unit__path__startswith=new.scope.path
    ).select_related("user", "position")
    people = {e.pk: e for e in in_scope.filter(position__code__in=positions)}
    # Function duties fall to the heads of the departments with that function.
    for e in in_scope.filter(
        headed_units__function__in=functions, headed_units__path__startswith=new.scope.path
    ):
        people[e.pk] = e
    link = reverse("responsibilities:map_detail", args=[new.pk])
    for employee in people.values():
        notification_send(
            recipient=employee.user,
            kind="responsibility_map.published",
            params={
                "title": {
                    "zh": new.title_zh or new.scenario.name_zh,
                    "en": new.title_en or new.scenario.name_en,
                },
                "version": new.version,
            },
            link=link,
            data={"map_id": new.pk, "duties": sorted(codes)},
            dedupe_key=f"responsibility_map.published:{new.pk}:{employee.user_id}",
        )


@transaction.atomic
def responsibility_map_archive(
    *, responsibility_map: ResponsibilityMap, actor
) -> ResponsibilityMap:
    """Take a version out of force (or drop a draft from the working set)."""
    require_hr_admin(actor)
    current = _lock(responsibility_map)
    if current.status == MapStatus.ARCHIVED:
        raise Conflict(_("This version is already archived."))
    old = current.status
    current.status = MapStatus.ARCHIVED
    current.save(update_fields=["status"])
    audit(current, AuditAction.UPDATE, changes={"status": [old, "archived"]}, actor=actor)
    return current


def responsibility_map_diff(*, old: ResponsibilityMap, new: ResponsibilityMap) -> planning.MapDiff:
    """What changed from ``old`` to ``new`` (by duty code)."""
    return planning.diff(map_duty_dicts(old), map_duty_dicts(new))


@transaction.atomic
def responsibility_map_adapt(
    *, responsibility_map: ResponsibilityMap, actor, change_note: str = ""
) -> ResponsibilityMap:
    """Adapt a library map: a draft of the group's own version (a copy of it, not library
    content), to edit and publish like any draft. From then on the bootstrap leaves this
    scenario and scope alone. Adapting twice returns the same draft."""
    require_hr_admin(actor)
    current = ResponsibilityMap.objects.select_for_update().get(pk=responsibility_map.pk)
    if not current.is_library:
        raise ValidationFailed(
            _("Only a version from the standard library can be adapted; edit this one instead."),
            errors={"map": _("Not library content.")},
            code="not_library",
        )
    draft = ResponsibilityMap.objects.filter(
        scenario_id=current.scenario_id, scope_id=current.scope_id, status=MapStatus.DRAFT
    ).first()
    if draft is not None:
        if draft.is_library:  # an interrupted install; never happens through the services
            raise Conflict(_("A library draft of this map is open; publish or delete it first."))
        return draft
    if current.status == MapStatus.DRAFT:
        raise Conflict(_("Publish the library version before adapting it."))
    return responsibility_map_revise(
        responsibility_map=current, actor=actor, change_note=change_note or ADAPT_NOTE
    )
