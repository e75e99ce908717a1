"""Checks of a map's duties and header: shape, references, cycles, and what publishing needs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.utils.translation import gettext as _

from hrcore.choices import DepartmentFunction, UnitKind
from hrcore.errors import KeelError
from hrcore.models import OrgUnit, Position
from hrcore.selectors import resolve_assignee
from hrcore.text import check_length

from .. import planning
from ..choices import (
    ESCALATION_POSITION_PREFIX,
    MAX_DEADLINE_MINUTES,
    MAX_DUTIES_PER_MAP,
    DeliverableKind,
    EscalationStep,
)
from ..decision_options import normalise_options
from ..models import ResponsibilityMap
from ..wording import cycle_text
from .common import MAX_ITEM_LENGTH, MAX_LIST_ITEMS, MAX_TEXT, MAX_TITLE, SLUG_RE


def _as_list(value, *, key: str, errors: dict, label: str) -> list:
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple):
        errors[key] = _("%(label)s must be a list.") % {"label": label}
        return []
    return list(value)


def normalise_duties(duties: Sequence[Mapping]) -> tuple[list[dict], dict[str, str]]:
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
                "Duty %(duty)s: choose who does it, either a department function or a position "
                "(not both)."
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
                    "Duty %(duty)s: this text is too long (%(length)d characters, at most %(n)d)."
                ) % {"duty": label, "length": len(d[key]), "n": MAX_TEXT}
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
                    "Duty %(duty)s: give at most %(n)d non-empty items of at most %(len)d "
                    "characters each."
                ) % {"duty": label, "n": MAX_LIST_ITEMS, "len": MAX_ITEM_LENGTH}
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
        options, option_errors = normalise_options(raw.get("options"), duty=label, prefix=p)
        if options and deliverable != DeliverableKind.DECISION:
            option_errors[f"{p}.options"] = _(
                "Duty %(duty)s: only a decision duty offers options."
            ) % {"duty": label}
        errors.update(option_errors)
        d["options"] = options
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
            "cycle": cycle_text(list(reversed(cycle)))
        }
    return clean, errors


def duties_check(duties: Sequence[Mapping]) -> tuple[list[dict], dict[str, str]]:
    """The same checks a save runs, without saving: for the editor's live preview."""
    return normalise_duties(duties)


def check_publishable(responsibility_map: ResponsibilityMap, duties: list[dict]) -> dict:
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


def validate_header(*, title_zh: str, title_en: str, change_note: str) -> dict:
    errors: dict[str, str] = {}
    for key, value in (("title_zh", title_zh), ("title_en", title_en)):
        if len(value or "") > MAX_TITLE:
            errors[key] = _("The title is too long (%(length)d characters, at most %(n)d).") % {
                "length": len(value),
                "n": MAX_TITLE,
            }
    check_length(errors, "change_note", change_note, MAX_TEXT)
    return errors
