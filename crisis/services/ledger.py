"""The checks of a decision's ledger entry (issue 15): the chosen option against the crisis's
map, the decision it supersedes, and its follow-up rows — all checked before anything is
written, so a bad row refuses the whole decision."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from hrcore.errors import Conflict, KeelError, ValidationFailed
from hrcore.models import Employee
from hrcore.selectors import employee_of, resolve_assignee
from hrcore.text import check_length
from responsibilities.decision_options import FREE_TEXT

from ..models import ACTION_MAX_LENGTH, Crisis, Decision
from ..selectors.decisions import decision_options, legacy_label
from .added_tasks import MAX_DEADLINE_MINUTES

MAX_FOLLOW_UPS = 20


@dataclass(frozen=True)
class OptionChoice:
    code: str  # a code of the map's options, "other" (free text) or ""
    label: dict  # {"zh", "en"} or {}
    considered: list  # the options offered: [{"code", "label"}]
    follow_ups: list  # what the option foresees (the map's shape)


def option_choice(crisis: Crisis, option: str | None) -> OptionChoice:
    """``option`` checked against the options of the crisis's map (free text is always
    possible): an unknown code is refused with the valid codes named."""
    option = (option or "").strip()
    options = decision_options(crisis)
    considered = [{"code": o["code"], "label": o["label"]} for o in options]
    if not option:
        return OptionChoice("", {}, considered, [])
    if option == FREE_TEXT:
        return OptionChoice(FREE_TEXT, legacy_label(FREE_TEXT), considered, [])
    for o in options:
        if o["code"] == option:
            return OptionChoice(option, dict(o["label"]), considered, list(o["follow_ups"]))
    valid = [o["code"] for o in options] + [FREE_TEXT]
    raise ValidationFailed(
        _("“%(option)s” is not an option of this crisis's map. Choose one of: %(options)s.")
        % {"option": option[:50], "options": ", ".join(valid)},
        errors={"option": _("Choose one of: %(options)s.") % {"options": ", ".join(valid)}},
    )


def superseded_decision(crisis: Crisis, supersedes: Decision | int | None) -> Decision | None:
    if supersedes in (None, ""):
        return None
    pk = supersedes.pk if isinstance(supersedes, Decision) else supersedes
    earlier = (
        Decision.objects.select_for_update(of=("self",))
        .filter(crisis=crisis, pk=pk)
        .select_related("superseded_by")
        .first()
        if isinstance(pk, int) and not isinstance(pk, bool)
        else None
    )
    if earlier is None:
        raise ValidationFailed(
            _("The decision to supersede is not a decision of this crisis."),
            errors={"supersedes": _("Pick an earlier decision of this crisis.")},
        )
    if getattr(earlier, "superseded_by", None) is not None:
        raise Conflict(
            _("That decision was already superseded by a later one; supersede the later one."),
            code="already_superseded",
        )
    return earlier


@dataclass(frozen=True)
class FollowUpRow:
    action: str
    assignee: Employee
    deadline_minutes: int


def _default_rows(crisis: Crisis, choice: OptionChoice, actor) -> list[FollowUpRow]:
    """The follow-ups the map's option foresees: its function resolved in the crisis's unit
    (the decider when nobody holds it), its action in the crisis's language pair."""
    rows = []
    fallback = employee_of(actor)
    for spec in choice.follow_ups:
        try:
            who = resolve_assignee(unit=crisis.unit, function=spec["function"]).employee
        except KeelError:
            who = fallback
        if who is None:
            continue
        action = spec["action"]
        text = " / ".join(dict.fromkeys(t for t in (action.get("zh"), action.get("en")) if t))
        rows.append(FollowUpRow(text[:ACTION_MAX_LENGTH], who, int(spec["deadline_minutes"])))
    return rows


def follow_up_rows(
    crisis: Crisis,
    choice: OptionChoice,
    follow_ups: Sequence[Mapping] | None,
    *,
    actor,
    foreseen: bool = False,
) -> list[FollowUpRow]:
    """The follow-up rows checked (each problem keyed ``follow_ups[<i>].<field>`` and named by
    row in the message), then (``foreseen``) the ones the chosen map option foresees."""
    extra = _default_rows(crisis, choice, actor) if foreseen else []
    if follow_ups is None:
        return extra
    if not isinstance(follow_ups, list | tuple) or len(follow_ups) > MAX_FOLLOW_UPS:
        raise ValidationFailed(
            _("Give the follow-ups as a list of at most %(n)d rows.") % {"n": MAX_FOLLOW_UPS},
            errors={"follow_ups": _("Not a list of rows.")},
        )
    names = {
        str(r.get("assignee") or "").strip()
        for r in follow_ups
        if isinstance(r, Mapping) and not isinstance(r.get("assignee"), Employee)
    }
    people = {
        e.user.get_username(): e
        for e in Employee.objects.select_related("user").filter(user__username__in=names)
    }
    rows: list[FollowUpRow] = []
    errors: dict[str, str] = {}
    first = ""
    for i, raw in enumerate(follow_ups):
        row_errors: dict[str, str] = {}
        if not isinstance(raw, Mapping):
            errors[f"follow_ups[{i}]"] = _("Each follow-up is an object.")
            first = first or _("Follow-up %(n)d is not an object.") % {"n": i + 1}
            continue
        action = str(raw.get("action") or "").strip()
        if not action:
            row_errors["action"] = _("Say what is to be done.")
        check_length(row_errors, "action", action, ACTION_MAX_LENGTH)
        assignee = raw.get("assignee")
        if not isinstance(assignee, Employee):
            assignee = people.get(str(assignee or "").strip())
        if assignee is None or not assignee.is_active:
            row_errors["assignee"] = _("Not an active employee's user name.")
        minutes = raw.get("deadline_minutes")
        if isinstance(minutes, str) and minutes.strip().isdigit():
            minutes = int(minutes)
        if (
            isinstance(minutes, bool)
            or not isinstance(minutes, int)
            or not 1 <= minutes <= MAX_DEADLINE_MINUTES
        ):
            row_errors["deadline_minutes"] = _("The deadline must be between 1 minute and 30 days.")
        for field, message in row_errors.items():
            errors[f"follow_ups[{i}].{field}"] = message
            first = first or _("Follow-up %(n)d: %(problem)s") % {"n": i + 1, "problem": message}
        if not row_errors:
            rows.append(FollowUpRow(action, assignee, minutes))
    if errors:
        raise ValidationFailed(
            _("The decision was not recorded. %(problem)s") % {"problem": first}, errors=errors
        )
    return rows + extra
