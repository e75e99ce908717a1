"""What the crisis page, the dashboard and the brief show of the decision ledger (issue 15): the
decisions with their lineage and follow-through, and the decision form with the map's options,
the follow-ups each option foresees (pre-filled by the page's script) and the people to pick."""

from __future__ import annotations

from datetime import datetime

from django.template import TemplateDoesNotExist
from django.template.loader import get_template

from hrcore.errors import KeelError
from hrcore.i18n import is_chinese
from hrcore.models import Employee
from hrcore.selectors import employee_of, resolve_assignees
from responsibilities.decision_options import label_of

from . import presenters
from .choices import TASK_ACTIVE_STATES, TaskStatus
from .follow_through import FollowUpFact, follow_through
from .forms import DecisionForm, decision_option_label
from .models import Crisis
from .selectors.decisions import (
    annotate_follow_through,
    decision_options,
    follow_up_view,
    ledger_of,
    options_of_duties,
)
from .task_state import task_state


def ledger(crisis: Crisis, now: datetime, tasks: list | None = None) -> list:
    """The crisis's decisions, newest first, each with ``option_label`` (text), ``maker_name``,
    ``follow_through`` and ``follow_up_rows`` (a constant number of queries)."""
    decisions = list(ledger_of(crisis, follow_ups=tasks is None))
    annotate_follow_through(decisions, now, tasks)
    for decision in decisions:
        decision.option_label = (
            decision_option_label(decision.option, decision.option_labels)
            if decision.option
            else ""
        )
        maker = employee_of(decision.made_by)
        decision.maker_name = maker.name if maker else decision.made_by.get_username()
    return decisions


def follow_up_people() -> list[Employee]:
    """Who a follow-up can be given to: the active employees, by unit."""
    return list(
        Employee.objects.filter(is_active=True)
        .select_related("user", "unit", "position")
        .order_by("unit__path", "-grade", "id")
    )


def foreseen_follow_ups(crisis: Crisis, options: list[dict]) -> dict[str, list[dict]]:
    """Per option code, the follow-ups it foresees as form rows: the action in both languages,
    the user name of who holds the function in the crisis's unit (empty when nobody does),
    the deadline in minutes."""
    wanted = {(f["function"], "") for o in options for f in o.get("follow_ups") or []}
    resolved = resolve_assignees(unit=crisis.unit, wanted=wanted) if wanted else {}
    languages = ("zh", "en") if is_chinese() else ("en", "zh")
    rows: dict[str, list[dict]] = {}
    for option in options:
        for f in option.get("follow_ups") or []:
            who = resolved.get((f["function"], ""))
            action = f["action"]
            rows.setdefault(option["code"], []).append(
                {
                    # the reader's language first (jsonb keeps no key order)
                    "action": " / ".join(
                        dict.fromkeys(t for t in (action.get(a) for a in languages) if t)
                    ),
                    "assignee": ""
                    if who is None or isinstance(who, KeelError)
                    else who.employee.user.get_username(),
                    "deadline": f["deadline_minutes"],
                }
            )
    return rows


def decision_form_context(crisis: Crisis, decisions: list) -> dict:
    options = decision_options(crisis)
    earlier = [d for d in decisions if getattr(d, "superseded_by", None) is None]
    return {
        "decision_form": DecisionForm(options=options, earlier=earlier),
        "decision_foreseen": foreseen_follow_ups(crisis, options),
        "follow_up_people": follow_up_people(),
    }


def decision_form(crisis: Crisis, data=None) -> DecisionForm:
    """The decision form bound to what was posted, its choices those of the crisis."""
    return DecisionForm(
        data,
        options=decision_options(crisis),
        earlier=list(crisis.decisions.filter(superseded_by__isnull=True)),
    )


def board_follow_ups(rows: list[dict], now: datetime) -> None:
    """Per dashboard row (``presenters.crisis_row``, tasks prefetched with their duties): the
    map's decision options for its decision form and the follow-ups with their lights — from
    the rows already loaded, no query."""
    for row in rows:
        tasks = [r["task"] for r in row["task_rows"]]
        row["decision_options"] = [
            {"code": o["code"], "label": label_of(o)}
            for o in options_of_duties(t.duty for t in tasks if t.duty_id)
        ]
        follow_ups = [t for t in tasks if t.follow_up_of_id]
        row["follow_through"] = follow_through((FollowUpFact.of(t) for t in follow_ups), now)
        row["follow_up_rows"] = [
            follow_up_view(t, now)
            for t in follow_ups
            if t.status not in (TaskStatus.DONE, TaskStatus.CANCELLED)
        ]


# The statutory clocks' part of the brief (issue 15 §3), included once that part provides it.
OBLIGATIONS_TEMPLATE = "crisis/_brief_obligations.html"


def _optional_template(name: str) -> str | None:
    try:
        get_template(name)
    except TemplateDoesNotExist:
        return None
    return name


def brief(crisis: Crisis, now: datetime) -> dict:
    """The one-page brief: the situation, the decisions (lineage kept), the open follow-ups and
    the clocks of the open tasks."""
    tasks = list(
        crisis.tasks.select_related("assignee", "duty", "duty__assignee_position").order_by(
            "due_at", "order", "id"
        )
    )
    decisions = ledger(crisis, now, tasks)
    open_follow_ups = [
        follow_up_view(t, now)
        for t in tasks
        if t.follow_up_of_id and t.status not in (TaskStatus.DONE, TaskStatus.CANCELLED)
    ]
    clocks = [
        {
            "task": t,
            "state": (state := task_state(t, now)),
            "label": presenters.state_label(state),
            "department": presenters.task_department(t),
        }
        for t in tasks
        if t.due_at and t.status in TASK_ACTIVE_STATES
    ]
    current = next((d for d in decisions if getattr(d, "superseded_by", None) is None), None)
    return {
        "crisis": crisis,
        "now": now,
        "decisions": decisions,
        "current": current,
        "situation": current.situation if current and current.situation else "",
        "open_follow_ups": open_follow_ups,
        "clocks": clocks,
        "obligations_template": _optional_template(OBLIGATIONS_TEMPLATE),
        "done": sum(1 for t in tasks if t.status == TaskStatus.DONE),
        "total": sum(1 for t in tasks if t.status != TaskStatus.CANCELLED),
    }
