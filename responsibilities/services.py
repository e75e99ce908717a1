"""Every write to scenarios and responsibility maps, plus validation, diff and dry-run."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from crisis.sla import Calendar, Deadlines, deadlines_for
from hrcore.choices import DepartmentFunction, UnitKind
from hrcore.errors import AssigneeNotFound, Conflict, KeelError, PermissionDenied, ValidationFailed
from hrcore.models import OrgUnit, Position
from hrcore.selectors import Resolution, resolve_assignee
from hrcore.services.notifications import notification_send

from . import planning
from .choices import (
    ESCALATION_POSITION_PREFIX,
    MAX_DEADLINE_MINUTES,
    MAX_DUTIES_PER_MAP,
    DeliverableKind,
    EscalationStep,
    MapStatus,
    Severity,
)
from .models import Duty, ResponsibilityMap, Scenario
from .selectors import can_edit_maps

User = get_user_model()

SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]+$")
MAX_TEXT = 4000
MAX_TITLE = 200
MAX_LIST_ITEMS = 30
MAX_ITEM_LENGTH = 200


def _require_hr_admin(actor) -> None:
    # ``actor=None`` is the system itself (seed data, management commands).
    if actor is not None and not can_edit_maps(actor):
        raise PermissionDenied(_("Only HR admins may change scenarios and responsibility maps."))


def _audit(obj, action, changes: dict, actor) -> None:
    actor = actor if getattr(actor, "pk", None) else None
    LogEntry.objects.log_create(obj, action=action, changes=changes, force_log=True, actor=actor)


# --- Scenarios -----------------------------------------------------------------------------


@transaction.atomic
def scenario_create(
    *,
    code: str,
    name_zh: str,
    name_en: str,
    description_zh: str = "",
    description_en: str = "",
    default_severity: str = Severity.MEDIUM,
    trigger_notes_zh: str = "",
    trigger_notes_en: str = "",
    actor,
) -> Scenario:
    """Add a scenario to the catalogue."""
    _require_hr_admin(actor)
    errors: dict[str, str] = {}
    code = (code or "").strip()
    if not code:
        errors["code"] = _("This field is required.")
    elif not SLUG_RE.match(code) or len(code) > 64:
        errors["code"] = _("Use at most 64 letters, digits, hyphens or underscores.")
    elif Scenario.objects.filter(code=code).exists():
        errors["code"] = _("A scenario with code “%(code)s” already exists.") % {"code": code}
    if not (name_zh or "").strip() and not (name_en or "").strip():
        errors["name_en"] = _("Give the scenario a name in at least one language.")
    for key, value in (("name_zh", name_zh), ("name_en", name_en)):
        if len(value or "") > MAX_TITLE:
            errors[key] = _("At most %(n)d characters.") % {"n": MAX_TITLE}
    for key, value in (
        ("description_zh", description_zh),
        ("description_en", description_en),
        ("trigger_notes_zh", trigger_notes_zh),
        ("trigger_notes_en", trigger_notes_en),
    ):
        if len(value or "") > MAX_TEXT:
            errors[key] = _("At most %(n)d characters.") % {"n": MAX_TEXT}
    if default_severity not in Severity.values:
        errors["default_severity"] = _("Unknown severity “%(value)s”. Use one of: %(choices)s.") % {
            "value": default_severity,
            "choices": ", ".join(Severity.values),
        }
    if errors:
        raise ValidationFailed(_first(_("The scenario is not valid."), errors), errors=errors)
    scenario = Scenario.objects.create(
        code=code,
        name_zh=(name_zh or "").strip(),
        name_en=(name_en or "").strip(),
        description_zh=description_zh or "",
        description_en=description_en or "",
        default_severity=default_severity,
        trigger_notes_zh=trigger_notes_zh or "",
        trigger_notes_en=trigger_notes_en or "",
    )
    _audit(scenario, LogEntry.Action.CREATE, {"code": [None, code]}, actor)
    return scenario


def _first(summary: str, errors: Mapping[str, str]) -> str:
    """A message that names the first problem, so a single line is already useful."""
    if not errors:
        return summary
    from hrcore.field_names import message_for

    key, value = next(iter(errors.items()))
    return f"{summary} {message_for(key, value)}"


# --- Duty validation -----------------------------------------------------------------------


def _as_list(value, *, key: str, errors: dict, label: str) -> list:
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple):
        errors[key] = _("%(label)s must be a list.") % {"label": label}
        return []
    return list(value)


def _normalise_duties(duties: Sequence[Mapping]) -> tuple[list[dict], dict[str, str]]:
    """Check the shape of every duty (but not whether someone holds it in the scope).

    Returns clean dicts (``assignee_position`` as a Position or None) and per-field errors keyed
    ``duties[<index>].<field>`` (or ``duties`` for the whole list)."""
    errors: dict[str, str] = {}
    if not isinstance(duties, list | tuple):
        return [], {"duties": _("Duties must be a list.")}
    if len(duties) > MAX_DUTIES_PER_MAP:
        return [], {"duties": _("A map may have at most %(n)d duties.") % {"n": MAX_DUTIES_PER_MAP}}
    position_codes = {
        str(d.get("assignee_position"))
        for d in duties
        if isinstance(d, Mapping) and d.get("assignee_position")
    }
    for d in duties:
        if isinstance(d, Mapping):
            for step in d.get("escalation") or []:
                if isinstance(step, str) and step.startswith(ESCALATION_POSITION_PREFIX):
                    position_codes.add(step[len(ESCALATION_POSITION_PREFIX) :])
    positions = {p.code: p for p in Position.objects.filter(code__in=position_codes)}
    clean: list[dict] = []
    seen_codes: dict[str, int] = {}
    for i, raw in enumerate(duties):
        p = f"duties[{i}]"
        if not isinstance(raw, Mapping):
            errors[p] = _("Each duty must be an object.")
            continue
        d: dict = {}
        code = str(raw.get("code") or "").strip()
        label = code or f"#{i + 1}"
        if not code:
            errors[f"{p}.code"] = _("Duty %(duty)s needs a code.") % {"duty": label}
        elif not SLUG_RE.match(code) or len(code) > 64:
            errors[f"{p}.code"] = _(
                "Duty code “%(code)s” may only use letters, digits, hyphens and underscores "
                "(at most 64)."
            ) % {"code": code[:80]}
        elif code in seen_codes:
            errors[f"{p}.code"] = _(
                "Duty code “%(code)s” is used twice (duties %(a)d and %(b)d); codes must be "
                "unique in a map."
            ) % {"code": code, "a": seen_codes[code] + 1, "b": i + 1}
        else:
            seen_codes[code] = i
        d["code"] = code
        function = str(raw.get("assignee_function") or "").strip()
        position_code = raw.get("assignee_position") or ""
        if isinstance(position_code, Position):
            position_code = position_code.code
        position_code = str(position_code).strip()
        if bool(function) == bool(position_code):
            errors[f"{p}.assignee_function"] = _(
                "Duty %(duty)s: give exactly one of assignee_function or assignee_position."
            ) % {"duty": label}
        if function and function not in DepartmentFunction.values:
            errors[f"{p}.assignee_function"] = _(
                "Duty %(duty)s: unknown department function “%(function)s”. Use one of: "
                "%(choices)s."
            ) % {
                "duty": label,
                "function": function[:80],
                "choices": ", ".join(DepartmentFunction.values),
            }
        if position_code and position_code not in positions:
            errors[f"{p}.assignee_position"] = _(
                "Duty %(duty)s: unknown position “%(position)s”."
            ) % {"duty": label, "position": position_code[:80]}
        d["assignee_function"] = function
        d["assignee_position"] = positions.get(position_code)
        action = raw.get("action")
        d["action_zh"] = str(raw.get("action_zh") or action or "").strip()
        d["action_en"] = str(raw.get("action_en") or action or "").strip()
        if not d["action_zh"] and not d["action_en"]:
            errors[f"{p}.action"] = _("Duty %(duty)s: say what has to be done.") % {"duty": label}
        for key in ("action_zh", "action_en", "notes_zh", "notes_en"):
            if key.startswith("notes"):
                d[key] = str(raw.get(key) or "")
            if len(d[key]) > MAX_TEXT:
                errors[f"{p}.{key}"] = _(
                    "Duty %(duty)s: %(field)s is too long (%(length)d characters, at most %(n)d)."
                ) % {"duty": label, "field": key, "length": len(d[key]), "n": MAX_TEXT}
        deliverable = raw.get("deliverable") or DeliverableKind.CONFIRMATION
        if deliverable not in DeliverableKind.values:
            errors[f"{p}.deliverable"] = _(
                "Duty %(duty)s: unknown deliverable “%(value)s”. Use one of: %(choices)s."
            ) % {
                "duty": label,
                "value": str(deliverable)[:80],
                "choices": ", ".join(DeliverableKind.values),
            }
        d["deliverable"] = deliverable
        deadline = raw.get("deadline_minutes")
        if isinstance(deadline, bool) or not isinstance(deadline, int | str) or deadline == "":
            deadline_int = None
        else:
            try:
                deadline_int = int(deadline)
            except (TypeError, ValueError):
                deadline_int = None
        if deadline_int is None:
            errors[f"{p}.deadline_minutes"] = _(
                "Duty %(duty)s: the deadline must be a whole number of minutes."
            ) % {"duty": label}
        elif deadline_int <= 0:
            errors[f"{p}.deadline_minutes"] = _(
                "Duty %(duty)s: the deadline must be more than 0 minutes (got %(value)d)."
            ) % {"duty": label, "value": deadline_int}
        elif deadline_int > MAX_DEADLINE_MINUTES:
            errors[f"{p}.deadline_minutes"] = _(
                "Duty %(duty)s: a deadline of %(value)d minutes is longer than the maximum of "
                "%(max)d minutes (30 days)."
            ) % {"duty": label, "value": deadline_int, "max": MAX_DEADLINE_MINUTES}
        d["deadline_minutes"] = deadline_int or 0
        after = _as_list(raw.get("after"), key=f"{p}.after", errors=errors, label="after")
        d["after"] = [str(a) for a in after]
        escalation = _as_list(
            raw.get("escalation"), key=f"{p}.escalation", errors=errors, label="escalation"
        )
        for step in escalation:
            step_ok = isinstance(step, str) and (
                step in EscalationStep.values
                or (
                    step.startswith(ESCALATION_POSITION_PREFIX)
                    and step[len(ESCALATION_POSITION_PREFIX) :] in positions
                )
            )
            if not step_ok:
                errors[f"{p}.escalation"] = _(
                    "Duty %(duty)s: unknown escalation step “%(step)s”. Use “manager”, "
                    "“executive” or “position:<position code>”."
                ) % {"duty": label, "step": str(step)[:80]}
        if len(escalation) > 5:
            errors[f"{p}.escalation"] = _(
                "Duty %(duty)s: an escalation chain has at most 5 steps."
            ) % {"duty": label}
        d["escalation"] = [str(s) for s in escalation]
        for key in ("information_items", "competencies"):
            items = _as_list(raw.get(key), key=f"{p}.{key}", errors=errors, label=key)
            if len(items) > MAX_LIST_ITEMS or any(
                not isinstance(x, str) or not x.strip() or len(x) > MAX_ITEM_LENGTH for x in items
            ):
                errors[f"{p}.{key}"] = _(
                    "Duty %(duty)s: %(field)s must be at most %(n)d non-empty texts of at most "
                    "%(len)d characters."
                ) % {"duty": label, "field": key, "n": MAX_LIST_ITEMS, "len": MAX_ITEM_LENGTH}
            d[key] = [str(x).strip() for x in items if isinstance(x, str)]
        warn_ratio = raw.get("warn_ratio", 0.8)
        try:
            warn_ratio = float(0.8 if warn_ratio in (None, "") else warn_ratio)
        except (TypeError, ValueError):
            warn_ratio = -1.0
        if not 0 < warn_ratio < 1:
            errors[f"{p}.warn_ratio"] = _(
                "Duty %(duty)s: the warning threshold is a share of the allowance between 0 and "
                "1 (e.g. 0.8)."
            ) % {"duty": label}
        d["warn_ratio"] = warn_ratio
        d["business_hours"] = bool(raw.get("business_hours", False))
        d["order"] = i
        clean.append(d)
    codes = {d["code"] for d in clean if d["code"]}
    for i, d in enumerate(clean):
        unknown = [a for a in d["after"] if a not in codes]
        if d["code"] in d["after"]:
            errors[f"duties[{i}].after"] = _("Duty %(duty)s cannot wait for itself.") % {
                "duty": d["code"]
            }
        elif unknown:
            errors[f"duties[{i}].after"] = _(
                "Duty %(duty)s waits for unknown duty code(s): %(codes)s."
            ) % {"duty": d["code"], "codes": ", ".join(u[:64] for u in unknown)}
    # Self-references are reported above; do not report them twice as a cycle.
    cycle = planning.find_cycle(
        {d["code"]: [a for a in d["after"] if a != d["code"]] for d in clean if d["code"]}
    )
    if clean and all(d["after"] for d in clean):
        errors["duties"] = _(
            "At least one duty must start at crisis start (have an empty “after” list)."
        )
    elif cycle:
        errors["duties"] = _("The duties wait for each other in a cycle: %(cycle)s.") % {
            # Shown in running order: each duty waits for the one before it.
            "cycle": " → ".join(reversed(cycle))
        }
    return clean, errors


def _check_publishable(responsibility_map: ResponsibilityMap, duties: list[dict]) -> dict:
    """The checks only a map about to run needs: non-empty, a start, people in the scope."""
    errors: dict[str, str] = {}
    if not duties:
        errors["duties"] = _("An empty map cannot be published: add at least one duty.")
        return errors
    scope = responsibility_map.scope
    if scope.kind not in (UnitKind.GROUP, UnitKind.SUBSIDIARY):
        errors["scope"] = _("A map's scope is the group or a subsidiary, not a department.")
    cache: dict[tuple[str, str], str | None] = {}
    for i, d in enumerate(duties):
        position = d["assignee_position"]
        key = ("f", d["assignee_function"]) if d["assignee_function"] else ("p", position.code)
        if key not in cache:
            cache[key] = _unresolvable(scope, key)
        if cache[key]:
            errors[f"duties[{i}].assignee"] = _(
                "Duty %(duty)s cannot be assigned in %(scope)s: %(problem)s"
            ) % {"duty": d["code"], "scope": scope.name, "problem": cache[key]}
        for step in d["escalation"]:
            if step.startswith(ESCALATION_POSITION_PREFIX):
                skey = ("p", step[len(ESCALATION_POSITION_PREFIX) :])
                if skey not in cache:
                    cache[skey] = _unresolvable(scope, skey)
                if cache[skey]:
                    errors[f"duties[{i}].escalation"] = _(
                        "Duty %(duty)s escalates to “%(step)s”, but %(problem)s"
                    ) % {"duty": d["code"], "step": step, "problem": cache[skey]}
    return errors


def _unresolvable(scope: OrgUnit, key: tuple[str, str]) -> str | None:
    kind, value = key
    try:
        if kind == "f":
            resolve_assignee(unit=scope, function=value)
        else:
            resolve_assignee(unit=scope, position=value)
    except KeelError as exc:
        return exc.message
    return None


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
        "order": duty.order,
    }


def map_duty_dicts(responsibility_map: ResponsibilityMap) -> list[dict]:
    """The duties of a map as plain dicts (the input shape of the services)."""
    duties = responsibility_map.duties.all()
    return [_duty_to_dict(d) for d in sorted(duties, key=lambda d: (d.order, d.pk))]


def _write_duties(responsibility_map: ResponsibilityMap, duties: list[dict]) -> None:
    responsibility_map.duties.all().delete()
    Duty.objects.bulk_create(Duty(map=responsibility_map, **d) for d in duties)


def _validate_header(*, title_zh: str, title_en: str, change_note: str) -> dict:
    errors: dict[str, str] = {}
    for key, value in (("title_zh", title_zh), ("title_en", title_en)):
        if len(value or "") > MAX_TITLE:
            errors[key] = _("The title is too long (%(length)d characters, at most %(n)d).") % {
                "length": len(value),
                "n": MAX_TITLE,
            }
    if len(change_note or "") > MAX_TEXT:
        errors["change_note"] = _("At most %(n)d characters.") % {"n": MAX_TEXT}
    return errors


# --- Maps ----------------------------------------------------------------------------------


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
    actor,
) -> ResponsibilityMap:
    """Create a draft version for (scenario, scope) numbered after the existing ones."""
    _require_hr_admin(actor)
    errors = _validate_header(title_zh=title_zh, title_en=title_en, change_note=change_note)
    if scope.kind not in (UnitKind.GROUP, UnitKind.SUBSIDIARY):
        errors["scope"] = _("A map's scope is the group or a subsidiary, not a department.")
    clean, duty_errors = _normalise_duties(duties)
    errors.update(duty_errors)
    if errors:
        raise ValidationFailed(_first(_("The map is not valid."), errors), errors=errors)
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
                author=actor,
            )
    except IntegrityError as exc:  # a concurrent create won the race
        raise Conflict(_("Someone else just created a version of this map; reload.")) from exc
    _write_duties(responsibility_map, clean)
    _audit(
        responsibility_map,
        LogEntry.Action.CREATE,
        {"version": [None, responsibility_map.version], "duties": [None, len(clean)]},
        actor,
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
    actor,
) -> ResponsibilityMap:
    """Edit a draft (its duties are replaced as a whole). Published and archived versions are
    frozen: use ``responsibility_map_revise`` to get the next draft."""
    _require_hr_admin(actor)
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
    errors = _validate_header(title_zh=title_zh, title_en=title_en, change_note=change_note)
    clean = None
    if duties is not None:
        clean, duty_errors = _normalise_duties(duties)
        errors.update(duty_errors)
    if errors:
        raise ValidationFailed(_first(_("The map is not valid."), errors), errors=errors)
    current.title_zh, current.title_en = title_zh.strip(), title_en.strip()
    current.change_note = change_note
    if effective_from is not None:
        current.effective_from = effective_from
    current.save(update_fields=["title_zh", "title_en", "change_note", "effective_from"])
    if clean is not None:
        _write_duties(current, clean)
    _audit(current, LogEntry.Action.UPDATE, {"duties": ["…", "edited"]}, actor)
    return current


@transaction.atomic
def responsibility_map_revise(
    *, responsibility_map: ResponsibilityMap, actor, change_note: str = ""
) -> ResponsibilityMap:
    """Editing a published (or archived) version: the next draft, a copy of it. If a draft of
    the same scenario and scope already exists it is returned instead of forking a second one."""
    _require_hr_admin(actor)
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
        author=actor,
    )
    duties = [
        {k: v for k, v in _duty_to_dict(d).items() if k != "assignee_position"}
        | {"assignee_position_id": d.assignee_position_id}
        for d in current.duties.all()
    ]
    Duty.objects.bulk_create(Duty(map=draft, **d) for d in duties)
    _audit(draft, LogEntry.Action.CREATE, {"revises": [None, current.version]}, actor)
    return draft


def responsibility_map_validate(*, responsibility_map: ResponsibilityMap) -> dict[str, str]:
    """Every problem that would stop this map from being published (empty dict: none)."""
    duties = map_duty_dicts(responsibility_map)
    clean, errors = _normalise_duties(duties)
    if not errors:
        errors.update(_check_publishable(responsibility_map, clean))
    return errors


@transaction.atomic
def responsibility_map_publish(
    *, responsibility_map: ResponsibilityMap, actor, effective_from: datetime | None = None
) -> ResponsibilityMap:
    """Validate and freeze a draft; the version it replaces is archived (crises that started
    under it keep running it)."""
    _require_hr_admin(actor)
    current = _lock(responsibility_map)
    if current.status != MapStatus.DRAFT:
        raise Conflict(
            _("Version %(version)d is already %(status)s; only drafts can be published.")
            % {"version": current.version, "status": current.get_status_display()},
            errors={"status": _("Only drafts can be published.")},
        )
    errors = responsibility_map_validate(responsibility_map=current)
    if errors:
        raise ValidationFailed(_first(_("The map cannot be published."), errors), errors=errors)
    now = timezone.now()
    previous = list(
        ResponsibilityMap.objects.select_for_update().filter(
            scenario_id=current.scenario_id,
            scope_id=current.scope_id,
            status=MapStatus.PUBLISHED,
        )
    )
    for old in previous:
        old.status = MapStatus.ARCHIVED
        old.save(update_fields=["status"])
        _audit(old, LogEntry.Action.UPDATE, {"status": ["published", "archived"]}, actor)
    current.status = MapStatus.PUBLISHED
    current.published_at = now
    current.effective_from = effective_from or current.effective_from or now
    current.save(update_fields=["status", "published_at", "effective_from"])
    _audit(current, LogEntry.Action.UPDATE, {"status": ["draft", "published"]}, actor)
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
    _require_hr_admin(actor)
    current = _lock(responsibility_map)
    if current.status == MapStatus.ARCHIVED:
        raise Conflict(_("This version is already archived."))
    old = current.status
    current.status = MapStatus.ARCHIVED
    current.save(update_fields=["status"])
    _audit(current, LogEntry.Action.UPDATE, {"status": [old, "archived"]}, actor)
    return current


def responsibility_map_diff(*, old: ResponsibilityMap, new: ResponsibilityMap) -> planning.MapDiff:
    """What changed from ``old`` to ``new`` (by duty code)."""
    return planning.diff(map_duty_dicts(old), map_duty_dicts(new))


# --- Dry run -------------------------------------------------------------------------------


@dataclass
class DryRunRow:
    duty: Duty
    slot: planning.Slot
    resolution: Resolution | None
    problem: str
    starts_at: datetime
    due_at: datetime
    warn_at: datetime


@dataclass
class DryRun:
    responsibility_map: ResponsibilityMap
    unit: OrgUnit
    start: datetime
    rows: list[DryRunRow]
    plan: planning.Plan

    @property
    def critical_path(self) -> list[str]:
        return self.plan.critical_path

    @property
    def total_minutes(self) -> int:
        return self.plan.total_minutes

    @property
    def ends_at(self) -> datetime:
        """When the last decision is due (business hours respected where the duty asks)."""
        for row in self.rows:
            if row.duty.code == self.plan.target:
                return row.due_at
        return self.start

    @property
    def problems(self) -> list[str]:
        return [r.problem for r in self.rows if r.problem]


def _calendar_for(unit: OrgUnit) -> Calendar:
    """The unit's business calendar, as the crisis engine uses it."""
    from crisis.services.calendars import calendar_for_unit

    return calendar_for_unit(unit)


def _deadlines(starts_at: datetime, duty: Duty, calendar: Calendar | None) -> Deadlines:
    """Warning and due time exactly as the crisis engine computes them."""
    return deadlines_for(
        started_at=starts_at,
        deadline_minutes=duty.deadline_minutes,
        warn_ratio=duty.warn_ratio,
        business_hours=duty.business_hours and calendar is not None,
        calendar=calendar,
    )


def responsibility_map_dry_run(
    *, responsibility_map: ResponsibilityMap, unit: OrgUnit | None = None, start=None
) -> DryRun:
    """Who would get which duty for a crisis in ``unit`` starting at ``start``, due when, and
    the critical path to the last decision. Assumes every duty takes its full allowance; the
    clock of a business-hours duty runs only in the unit's business calendar (as in a crisis),
    while the critical path is measured in allowance minutes."""
    unit = unit or responsibility_map.scope
    if responsibility_map.scope.path and not unit.path.startswith(responsibility_map.scope.path):
        raise ValidationFailed(
            _("%(unit)s is outside the map's scope %(scope)s.")
            % {"unit": unit.name, "scope": responsibility_map.scope.name},
            errors={"unit": _("Pick a unit inside the map's scope.")},
        )
    start = start or timezone.now()
    duties = sorted(responsibility_map.duties.all(), key=lambda d: (d.order, d.pk))
    dicts = [
        {
            "code": d.code,
            "deadline_minutes": d.deadline_minutes,
            "after": d.after,
            "deliverable": d.deliverable,
        }
        for d in duties
    ]
    try:
        plan = planning.schedule(dicts)
    except ValueError as exc:
        raise ValidationFailed(
            _("The duties wait for each other in a cycle; fix the map first."),
            errors={"duties": _("Dependency cycle.")},
        ) from exc
    cache: dict[tuple[str, str], tuple[Resolution | None, str]] = {}
    rows = []
    by_code = {d.code: d for d in duties}
    due_at: dict[str, datetime] = {}
    calendar = _calendar_for(unit) if any(d.business_hours for d in duties) else None
    for code in plan.order:
        duty = by_code[code]
        key = (
            ("f", duty.assignee_function)
            if duty.assignee_function
            else ("p", duty.assignee_position.code if duty.assignee_position_id else "")
        )
        if key not in cache:
            try:
                resolution = resolve_assignee(
                    unit=unit,
                    function=key[1] if key[0] == "f" else None,
                    position=key[1] if key[0] == "p" else None,
                    at=start,
                )
                cache[key] = (resolution, "")
            except (AssigneeNotFound, ValidationFailed) as exc:
                cache[key] = (None, exc.message)
        resolution, problem = cache[key]
        prereqs = [due_at[a] for a in duty.after if a in due_at]
        starts_at = max(prereqs) if prereqs else start
        deadlines = _deadlines(starts_at, duty, calendar)
        warn, due = deadlines.warn_at, deadlines.due_at
        due_at[code] = due
        rows.append(
            DryRunRow(
                duty=duty,
                slot=plan.slots[code],
                resolution=resolution,
                problem=problem,
                starts_at=starts_at,
                due_at=due,
                warn_at=warn,
            )
        )
    return DryRun(
        responsibility_map=responsibility_map, unit=unit, start=start, rows=rows, plan=plan
    )
