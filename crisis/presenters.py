"""Display logic of the crisis pages, in the viewer's language and time zone: a task's state and
its label, the rows and plain-words checklist of the live page, timeline sentences, board rows
and the dashboard's KPI cards and charts. No writes; reads only what it is handed.
"""

from __future__ import annotations

from datetime import datetime

from django.core.paginator import Page, Paginator
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from hrcore import charts
from hrcore.selectors import employee_of

from . import metrics
from .choices import DeliverableKind, EventKind, TaskStatus
from .drill_timing import drill_text, task_drill_speed
from .forms import decision_option_label
from .notifications import complaint_outcome_label, severity_label
from .task_state import task_late, task_state


def user_text(value) -> str:
    """Text a person typed (a decision, a pause reason), marked for the page: it is shown as
    typed, in whatever language (``data-user-content``; the language sweep skips it)."""
    if not value:
        return ""
    return format_html('<span data-user-content="">{}</span>', value)


def with_user_text(message: str, values: dict):
    """``message % values`` as safe HTML: every value escaped, the marked user text kept."""
    return mark_safe(message % {k: conditional_escape(v) for k, v in values.items()})


def join_words(items: list[str]) -> str:
    """ "A, B and C" / "A、B和C"."""
    items = [i for i in items if i]
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    separator = _(", ")
    return _("%(first)s and %(last)s") % {"first": separator.join(items[:-1]), "last": items[-1]}


def local_clock(moment: datetime | None, now: datetime | None = None) -> str:
    """A time in the viewer's zone: "10:30" today, "11-23 10:30" another day."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    today = timezone.localtime(now or timezone.now()).date()
    if local.date() == today:
        return date_format(local, "H:i")
    if local.year == today.year:
        return date_format(local, "m-d H:i")
    return date_format(local, "Y-m-d H:i")


def task_department(task) -> str:
    """ "Finance", "Legal", "Vice-president"… — who the duty belongs to, in the viewer's language."""
    return task.duty.assignee_label if task.duty_id else task.get_kind_display()


def task_what(task) -> str:
    """The duty's action, without its closing full stop (it is quoted inside sentences); in a
    drill with its durations on the drill's clock ("within 30 minutes" at ×4: 8 minutes)."""
    text = task.duty.action if task.duty_id else task.action
    text = drill_text(text, task_drill_speed(task)) if task.duty_id else text
    return text.strip().rstrip("。.！!；;")


def state_label(state: str, *, late: bool = False) -> str:
    """The label of a task state; a task done after its due time says so ("Done late")."""
    if state == "done" and late:
        return _("Done late")
    labels = {
        "ok": _("On track"),
        "warning": _("Warning"),
        "breached": _("Breached"),
        "done": _("Done"),
        "waiting": _("Waiting"),
        "paused": _("Paused"),
        "cancelled": _("Cancelled"),
    }
    return labels.get(state, state)


def task_rows(tasks, *, now: datetime, viewer_employee, comments=None) -> list[dict]:
    comments = comments or {}
    by_code = {t.duty_code: t for t in tasks}
    rows = []
    for task in tasks:
        state = task_state(task, now)
        late = task_late(task)
        rows.append(
            {
                "task": task,
                "state": state,
                "late": late,
                "state_label": state_label(state, late=late),
                "department": task_department(task),
                "what": task_what(task),
                "mine": viewer_employee is not None and task.assignee_id == viewer_employee.pk,
                "after": [task_department(by_code[c]) for c in (task.after or []) if c in by_code],
                "after_text": join_words(
                    [task_department(by_code[c]) for c in (task.after or []) if c in by_code]
                ),
                "deliverables": list(task.deliverables.all()),
                "comments": comments.get(task.pk, []),
            }
        )
    return rows


def checklist(crisis, rows: list[dict], decisions: list, *, now: datetime) -> list[dict]:
    """The manager's checklist in plain words, e.g. "Finance and Legal have been involved" and
    "Finance (Wang Fang) owes “payment records” by 10:30"."""
    items: list[dict] = []
    involved = []
    for row in rows:
        if row["state"] != "cancelled" and row["department"] not in involved:
            involved.append(row["department"])
    if involved:
        items.append(
            {
                "state": "info",
                "text": _("%(departments)s have been involved.")
                % {"departments": join_words(involved)},
            }
        )
    for row in rows:
        task = row["task"]
        who = row["department"]
        if row["mine"]:
            who = _("%(department)s (you)") % {"department": who}
        elif task.assignee_id:
            who = _("%(department)s (%(person)s)") % {
                "department": who,
                "person": task.assignee.name,
            }
        values = {"who": who, "what": row["what"], "time": local_clock(task.due_at, now)}
        state = row["state"]
        if state == "cancelled":
            continue
        if state == "done" and row.get("late"):
            values["time"] = local_clock(task.completed_at, now)
            values["due"] = local_clock(task.due_at, now)
            text = _('%(who)s delivered "%(what)s" late, at %(time)s (due at %(due)s).') % values
        elif state == "done":
            values["time"] = local_clock(task.completed_at, now)
            text = _('%(who)s has delivered "%(what)s" at %(time)s.') % values
        elif state == "waiting":
            values["after"] = join_words(row["after"]) or _("the previous steps")
            text = _('%(who)s: "%(what)s" starts once %(after)s have delivered.') % values
        elif state == "paused":
            values["reason"] = user_text(task.pause_reason) or "—"
            text = with_user_text(_('%(who)s: "%(what)s" — clock paused (%(reason)s).'), values)
        elif state == "breached":
            text = _('%(who)s is late: "%(what)s" was due at %(time)s.') % values
        else:
            text = _('%(who)s owes "%(what)s" by %(time)s.') % values
        if task.assignee_gap:
            text += " " + _("Nobody holds this role here: it went to the escalation contact.")
        items.append({"state": state, "text": text, "mine": row["mine"]})
    for decision in decisions[:1]:
        maker = employee_of(decision.made_by)
        items.append(
            {
                "state": "done",
                "text": with_user_text(
                    _("%(who)s decided at %(time)s: %(text)s"),
                    {
                        "who": maker.name if maker else decision.made_by.get_username(),
                        "time": local_clock(decision.made_at, now),
                        "text": user_text(decision.text),
                    },
                ),
            }
        )
    return items


def _actor_name(event) -> str:
    if event.actor_id is None:
        return _("Keel")
    employee = employee_of(event.actor)
    return employee.name if employee else event.actor.get_username()


def _iso_clock(value, now) -> str:
    if not value:
        return ""
    try:
        return local_clock(datetime.fromisoformat(value), now)
    except (TypeError, ValueError):
        return ""


def event_text(event, *, task_labels: dict[str, str], people: dict[int, str], now) -> str:
    """One timeline event as a sentence in the viewer's language."""
    data = event.data or {}
    values = {
        "actor": _actor_name(event),
        "task": task_labels.get(data.get("duty", ""), data.get("duty", "")),
    }
    kind = event.kind
    if kind == EventKind.FILED:
        return _("%(actor)s filed the crisis.") % values
    if kind == EventKind.TASK_CREATED:
        values["assignee"] = people.get(data.get("assignee_id"), "") or _("nobody yet")
        return _("Task for %(task)s created, assigned to %(assignee)s.") % values
    if kind == EventKind.ASSIGNEE_UNRESOLVED:
        values["fallback"] = people.get(data.get("fallback_assignee_id"), "") or "—"
        return _("Nobody holds the role for %(task)s; sent to %(fallback)s.") % values
    if kind == EventKind.CLOCK_STARTED:
        values["time"] = _iso_clock(data.get("due_at"), now)
        return _("Clock started for %(task)s, due at %(time)s.") % values
    if kind == EventKind.TASK_ACKNOWLEDGED:
        return _("%(actor)s acknowledged the task of %(task)s.") % values
    if kind == EventKind.TASK_COMPLETED:
        if data.get("late"):
            return _("%(actor)s completed the task of %(task)s (late).") % values
        return _("%(actor)s completed the task of %(task)s.") % values
    if kind in (EventKind.TASK_REASSIGNED, EventKind.TASK_DELEGATED):
        values["to"] = people.get(data.get("to_id"), "") or "—"
        if data.get("handover"):
            values["from"] = people.get(data.get("from_id"), "") or "—"
            return (
                _("%(actor)s handed the task of %(task)s over from %(from)s to %(to)s (handover).")
                % values
            )
        if kind == EventKind.TASK_DELEGATED:
            return _("%(actor)s delegated the task of %(task)s to %(to)s.") % values
        return _("%(actor)s reassigned the task of %(task)s to %(to)s.") % values
    if kind == EventKind.TASK_CANCELLED:
        return _("%(actor)s cancelled the task of %(task)s.") % values
    if kind == EventKind.TASK_COMMENTED:
        return _("%(actor)s commented on the task of %(task)s.") % values
    if kind == EventKind.TASK_PAUSED:
        values["reason"] = user_text(data.get("reason", "")) or "—"
        return with_user_text(_("%(actor)s paused the clock of %(task)s: %(reason)s."), values)
    if kind == EventKind.TASK_RESUMED:
        values["time"] = _iso_clock(data.get("due_at"), now)
        return _("%(actor)s resumed the clock of %(task)s; now due at %(time)s.") % values
    if kind == EventKind.TASK_WARNING:
        values["time"] = _iso_clock(data.get("due_at"), now)
        if data.get("late"):
            return _("Warning (sent late, Keel was unavailable): %(task)s is due at %(time)s.") % (
                values
            )
        return _("Warning: %(task)s is due at %(time)s.") % values
    if kind == EventKind.WARNING_SUPERSEDED:
        values["time"] = _iso_clock(data.get("due_at"), now)
        return (
            _(
                "No warning could be sent for %(task)s before its deadline at %(time)s (Keel was "
                "unavailable); the breach superseded it."
            )
            % values
        )
    if kind == EventKind.TASK_BREACHED:
        values["time"] = _iso_clock(data.get("due_at"), now)
        return _("Deadline missed: %(task)s was due at %(time)s.") % values
    if kind == EventKind.TASK_ESCALATED:
        values["target"] = people.get(data.get("target_id"), "") or data.get("target", "—")
        values["step"] = data.get("step", "")
        return _("%(task)s escalated to %(target)s (step %(step)s).") % values
    if kind == EventKind.DECISION_MADE:
        values["text"] = user_text(data.get("text", ""))
        option = data.get("option")
        if option:
            values["option"] = decision_option_label(option, data.get("option_label"))
            return with_user_text(_("%(actor)s decided (%(option)s): %(text)s"), values)
        return with_user_text(_("%(actor)s decided: %(text)s"), values)
    if kind == EventKind.PARTICIPANT_INVITED:
        return _("%(actor)s invited a participant.") % values
    if kind == EventKind.CLOSED:
        values["outcome"] = user_text(data.get("outcome", ""))
        return with_user_text(_("%(actor)s closed the crisis: %(outcome)s"), values)
    if kind == EventKind.COMPLAINT_DECIDED:
        values["outcome"] = complaint_outcome_label(data.get("outcome", ""))
        values["note"] = user_text(data.get("note", ""))
        if values["note"]:
            return with_user_text(
                _("%(actor)s recorded the complaint's outcome: %(outcome)s (%(note)s)."), values
            )
        return _("%(actor)s recorded the complaint's outcome: %(outcome)s.") % values
    course = course_event_text(event, values, task_labels=task_labels, now=now)
    if course is not None:
        return course
    return str(event.get_kind_display())


def course_event_text(event, values: dict, *, task_labels: dict[str, str], now):
    """Sentences of the changing-course events (issue 15 §4); None for other kinds."""
    data = event.data or {}
    kind = event.kind
    if kind == EventKind.SEVERITY_CHANGED:
        moves = [
            _("%(task)s due %(old)s → %(new)s")
            % {
                "task": task_labels.get(row.get("duty", ""), row.get("duty", "")),
                "old": _iso_clock(row.get("old_due_at"), now) or "—",
                "new": _iso_clock(row.get("new_due_at"), now) or "—",
            }
            for row in data.get("tasks", [])
        ]
        values["old"] = severity_label(data.get("from", ""))
        values["new"] = severity_label(data.get("to", ""))
        text = _("%(actor)s changed the severity from %(old)s to %(new)s.") % values
        if moves:
            text += " " + _("Re-timed: %(moves)s.") % {"moves": join_words(moves)}
        return text
    if kind == EventKind.PARTICIPANT_UNINVITED:
        return _("%(actor)s withdrew an invitation.") % values
    if kind in (EventKind.CRISIS_LINKED, EventKind.CRISIS_UNLINKED):
        values["other"] = f"#{data.get('other_id', '')}"
        if kind == EventKind.CRISIS_LINKED:
            return _("%(actor)s linked the related crisis %(other)s.") % values
        return _("%(actor)s unlinked crisis %(other)s.") % values
    if kind == EventKind.REOPENED:
        values["reason"] = user_text(data.get("reason", ""))
        values["count"] = len(data.get("tasks_still_cancelled", []))
        return with_user_text(
            _(
                "%(actor)s reopened the crisis: %(reason)s. %(count)s tasks cancelled at "
                "closing stay cancelled; the status-update cadence starts again."
            ),
            values,
        )
    if kind == EventKind.STATUS_UPDATE:
        values["text"] = user_text(data.get("text", ""))
        return with_user_text(_("%(actor)s posted a status update: %(text)s"), values)
    if kind == EventKind.STATUS_UPDATE_OVERDUE:
        values["time"] = _iso_clock(data.get("due_at"), now)
        return _("Status update overdue since %(time)s; the crisis manager was reminded.") % values
    return None


EVENT_TONE = {
    EventKind.TASK_WARNING: "warn",
    EventKind.WARNING_SUPERSEDED: "bad",
    EventKind.TASK_BREACHED: "bad",
    EventKind.TASK_ESCALATED: "bad",
    EventKind.ASSIGNEE_UNRESOLVED: "bad",
    EventKind.TASK_COMPLETED: "ok",
    EventKind.DECISION_MADE: "ok",
    EventKind.CLOSED: "ok",
    EventKind.STATUS_UPDATE_OVERDUE: "warn",
    EventKind.REOPENED: "warn",
}


def crisis_row(crisis, now) -> dict:
    tasks = list(crisis.tasks.all())
    states = [(t, task_state(t, now)) for t in tasks]
    late = [t for t, s in states if s == "breached"]
    late_names = []
    for task in late:
        name = task.assignee.name if task.assignee_id else task_department(task)
        if name not in late_names:
            late_names.append(name)
    worst = "ok"
    for s in ("breached", "warning"):
        if any(state == s for _, state in states):
            worst = s
            break
    else:
        if tasks and all(state in ("done", "cancelled") for _, state in states):
            worst = "done"
    return {
        "crisis": crisis,
        "task_rows": [
            {
                "task": t,
                "state": s,
                "late": task_late(t),
                "state_label": state_label(s, late=task_late(t)),
                "department": task_department(t),
                "what": task_what(t),
            }
            for t, s in states
        ],
        "states": [s for _, s in states],
        "done": sum(1 for _, s in states if s == "done"),
        "total": sum(1 for _, s in states if s != "cancelled"),
        "late_names": late_names,
        "worst": worst,
        "worst_label": state_label(worst),
        "decision_pending": any(
            t.deliverable_kind == DeliverableKind.DECISION
            and t.status in (TaskStatus.OPEN, TaskStatus.ACKNOWLEDGED)
            for t in tasks
        ),
        "decisions": getattr(crisis, "decision_count", 0),
    }


def metric_label(key: str) -> str:
    return {
        "first_response": _("Time to first response"),
        "all_information": _("Time to all information"),
        "decision": _("Time to decision"),
        "resolution": _("Time to resolution"),
    }[key]


def metrics_panel(period, *, days: int) -> dict:
    """The dashboard's metrics as the template draws them: KPI cards and three SVG charts."""
    label_every = 5 if days <= 30 else 15
    labels = [date_format(p.day, "m-d") for p in period.daily]
    filed_chart = charts.bar_chart(
        [p.filed for p in period.daily],
        labels,
        title=_("Crises filed per day"),
        label_every=label_every,
    )
    series = [
        (metric_label(key), [p.median_minutes[key] for p in period.daily])
        for key in metrics.METRIC_KEYS
    ]
    times_chart = charts.line_chart(
        series,
        labels,
        title=_("Median minutes per day"),
        unit="′",
        label_every=label_every,
    )
    breach_chart = charts.hbar_chart(
        [
            (r.department, r.rate, f"{round(r.rate * 100)}% ({r.breached}/{r.total})")
            for r in period.breach_rates
        ],
        title=_("Breach rate by department"),
    )
    return {
        "period": period,
        "kpis": [
            {
                "key": key,
                "label": metric_label(key),
                "median": metrics.format_minutes(period.summaries[key].median_minutes),
                "count": period.summaries[key].count,
                "color": charts.PALETTE[i],
            }
            for i, key in enumerate(metrics.METRIC_KEYS)
        ],
        "breach_rate_pct": round(period.breach_rate * 100),
        "filed_chart": filed_chart,
        "times_chart": times_chart,
        "breach_chart": breach_chart,
        "language": get_language(),
    }


class _Counted:
    """Rows whose number the page already knows (from its totals query), so Django's Paginator
    does not count them a second time; slicing reads only the rows of the page."""

    def __init__(self, rows, total: int) -> None:
        self.rows, self.total = rows, total

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, key):
        return self.rows[key]


def page_of(rows, *, total: int, requested, size: int) -> Page:
    """One page of ``rows`` (``total`` of them, ``size`` a page) through Django's Paginator.
    ``requested`` is read leniently: missing, garbage or below 1 is the first page, beyond the
    last is the last page; there is always one page, possibly empty."""
    try:
        number = max(int(requested), 1) if requested not in (None, "") else 1
    except (TypeError, ValueError):
        number = 1
    return Paginator(_Counted(rows, max(int(total), 0)), size).get_page(number)


def page_links(page: Page, url) -> dict:
    """The pager of a page template: the page, numbered links (the first, the last and two
    either side of the current one; ``number`` None marks a gap "…") and previous/next URLs,
    each built by ``url(number)``."""
    paginator = page.paginator
    numbers = [
        None if n == paginator.ELLIPSIS else n
        for n in paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    ]
    return {
        "page": page,
        "page_links": [
            {"number": n, "url": url(n) if n else "", "current": n == page.number} for n in numbers
        ],
        "previous_url": url(page.previous_page_number()) if page.has_previous() else "",
        "next_url": url(page.next_page_number()) if page.has_next() else "",
    }
