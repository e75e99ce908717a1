"""The crisis engine's notification kinds: parameters in, sentences in the reader's language out
(``hrcore.notification_kinds``). Duty actions and names come in both languages; crisis titles,
decision texts and contact notes as their author typed them."""

from __future__ import annotations

from django.utils.translation import gettext as _

from hrcore.notification_kinds import Params, at_time, listing, local, register, user

from .choices import ComplaintOutcome, DecisionOption, Severity, TriggerKind
from .drill_timing import drill_text, task_drill_speed

_TITLE = "Collectors in the office"
_ACTION = {"zh": "核对欠款与还款记录。", "en": "Verify the debt and the payment records."}
_PERSON = {"zh": "王伟", "en": "Wang Wei"}


def _action(params: Params) -> str:
    """A duty action without its final full stop: the sentence around it ends itself."""
    return local(params.get("action")).rstrip("。.！!；; ")


def option_label(code: str, label=None) -> str:
    """A decision option's label in the active language (the map's label sent with the
    notice, or the fixed list's for older notices); never the code itself."""
    if label:
        return local(label)
    if code in DecisionOption.values:
        return str(DecisionOption(code).label)
    return str(DecisionOption.OTHER.label) if code else ""


def _task_body(params: Params) -> str:
    if params.get("waiting"):
        return _("%(action)s. The clock starts when the prerequisites are done.") % {
            "action": _action(params)
        }
    return _("%(action)s — due %(due)s.") % {
        "action": _action(params),
        "due": at_time(params.get("due_at", ""), params.get("time_zone", "")),
    }


register(
    "crisis.task",
    subject=lambda p: _("Crisis task: %(title)s") % {"title": user(p.get("crisis_title"))},
    body=_task_body,
    example={
        "crisis_title": _TITLE,
        "action": _ACTION,
        "waiting": False,
        "due_at": "2026-12-02T06:30:00+00:00",
        "time_zone": "Asia/Shanghai",
    },
)

register(
    "crisis.filed",
    subject=lambda p: _("Crisis filed: %(title)s") % {"title": user(p.get("crisis_title"))},
    body=lambda p: listing(
        [{k: v.rstrip("。.") for k, v in a.items()} for a in p.get("actions", [])]
    ),
    example={"crisis_title": _TITLE, "actions": [_ACTION, {"zh": "到场。", "en": "Be on site."}]},
)

register(
    "crisis.task_done",
    subject=lambda p: _("Done: %(action)s") % {"action": _action(p)},
    body=lambda p: user(p.get("crisis_title")),
    example={"crisis_title": _TITLE, "action": _ACTION},
)


def _decision_body(params: Params) -> str:
    option = params.get("option") or ""
    text = _("%(maker)s: %(text)s") % {
        "maker": local(params.get("maker")),
        "text": user(params.get("text")),
    }
    if option:
        text = _("%(decision)s (%(option)s)") % {
            "decision": text,
            "option": option_label(option, params.get("option_label")),
        }
    return text


register(
    "crisis.decision",
    subject=lambda p: _("Decision: %(title)s") % {"title": user(p.get("crisis_title"))},
    body=_decision_body,
    example={
        "crisis_title": _TITLE,
        "maker": _PERSON,
        "text": "Negotiate with the collectors",
        "option": "negotiate",
    },
)

register(
    "crisis.invited",
    subject=lambda p: _("Invited to a crisis: %(title)s") % {"title": user(p.get("crisis_title"))},
    example={"crisis_title": _TITLE},
)


def _walk_in_body(params: Params) -> str:
    if params.get("as") == "supervisor":
        text = _("%(name)s was named responsible for this complaint; you are their supervisor.")
    else:
        text = _("You were named responsible for this complaint.")
    return (
        text % {"name": local(params.get("responsible"))}
        + " "
        + _("The consumer bought: %(purchase)s.") % {"purchase": user(params.get("purchase"))}
    )


register(
    "crisis.walk_in_complaint",
    subject=lambda p: (
        _("In-store complaint by %(consumer)s: %(title)s")
        % {"consumer": user(p.get("consumer")), "title": user(p.get("crisis_title"))}
    ),
    body=_walk_in_body,
    example={
        "crisis_title": "Customer angry about a broken kettle",
        "consumer": "Li Na",
        "purchase": "Electric kettle, receipt 0042",
        "responsible": _PERSON,
        "as": "supervisor",
    },
)


def complaint_outcome_label(code: str) -> str:
    """A complaint outcome's label in the active language (the code itself if unknown)."""
    return str(ComplaintOutcome(code).label) if code in ComplaintOutcome.values else code


def _complaint_about(params: Params) -> str:
    """A company complaint names its customer (both scripts); a walk-in one its consumer."""
    if params.get("customer"):
        return local(params.get("customer"))
    return user(params.get("consumer"))


def _complaint_outcome_body(params: Params) -> str:
    name = local(params.get("employee"))
    if params.get("outcome") == ComplaintOutcome.DISMISSED:
        text = _("It no longer counts on %(name)s's performance record: its points are taken back.")
    else:
        text = _("It stays on %(name)s's performance record.")
    parts = [
        _("Decided by %(decider)s.") % {"decider": local(params.get("decider"))},
        text % {"name": name},
    ]
    if params.get("note"):
        parts.append(_("Reason: %(note)s") % {"note": user(params.get("note"))})
    return " ".join(parts)


register(
    "complaint.outcome",
    subject=lambda p: (
        _("Complaint about %(about)s decided: %(outcome)s")
        % {"about": _complaint_about(p), "outcome": complaint_outcome_label(p.get("outcome", ""))}
    ),
    body=_complaint_outcome_body,
    example={
        "consumer": "Li Na",
        "outcome": "dismissed",
        "note": "The kettle was dropped at home",
        "employee": _PERSON,
        "as": "employee",
        "decider": {"zh": "张敏", "en": "Zhang Min"},
    },
)


def _warning_body(params: Params) -> str:
    text = _("%(title)s: due %(due)s.") % {
        "title": user(params.get("crisis_title")),
        "due": at_time(params.get("due_at", ""), params.get("time_zone", "")),
    }
    if params.get("late"):
        text += " " + _("(This warning is late: Keel was unavailable.)")
    return text


register(
    "crisis.warning",
    subject=lambda p: _("Due soon: %(action)s") % {"action": _action(p)},
    body=_warning_body,
    example={
        "crisis_title": _TITLE,
        "action": _ACTION,
        "due_at": "2026-12-02T06:30:00+00:00",
        "time_zone": "Asia/Shanghai",
        "late": True,
    },
)

register(
    "crisis.escalation",
    subject=lambda p: _("Escalation: %(action)s is overdue") % {"action": _action(p)},
    body=lambda p: (
        _("%(title)s: %(assignee)s missed the deadline; please step in.")
        % {"title": user(p.get("crisis_title")), "assignee": local(p.get("assignee")) or "—"}
    ),
    example={"crisis_title": _TITLE, "action": _ACTION, "assignee": _PERSON},
)


def _breach_body(params: Params) -> str:
    title = user(params.get("crisis_title"))
    if params.get("warning_missed"):
        return _(
            "%(title)s: no warning could be sent before the deadline (Keel was unavailable)."
        ) % {"title": title}
    return title


register(
    "crisis.breach",
    subject=lambda p: _("Overdue: %(action)s") % {"action": _action(p)},
    body=_breach_body,
    example={"crisis_title": _TITLE, "action": _ACTION, "warning_missed": True},
)

_CUSTOMER = {"zh": "上海恒达贸易", "en": "Shanghai Hengda Trading"}

register(
    f"crisis.trigger.{TriggerKind.EARLY_WARNING}",
    subject=lambda p: (
        _("Early warning: %(customer)s is %(days)s days overdue")
        % {"customer": local(p.get("customer")), "days": p.get("days")}
    ),
    body=lambda p: (
        _("The last contact shows risk: %(note)s") % {"note": user(p.get("last_contact_note"))}
    ),
    example={"customer": _CUSTOMER, "days": 45, "last_contact_note": "Refuses to talk"},
)

register(
    f"crisis.trigger.{TriggerKind.OVERDUE}",
    subject=lambda p: (
        _("Debt-crisis alert: %(customer)s is %(days)s days overdue")
        % {"customer": local(p.get("customer")), "days": p.get("days")}
    ),
    body=lambda p: (
        _("Outstanding %(amount)s %(currency)s.")
        % {"amount": local(p.get("amount")), "currency": local(p.get("currency"))}
    ),
    example={"customer": _CUSTOMER, "days": 95, "amount": "1200000.00", "currency": "CNY"},
)


def severity_label(code: str) -> str:
    """A severity's label in the active language (the code itself only when unknown)."""
    return str(Severity(code).label) if code in Severity.values else str(code or "")


register(
    "crisis.severity_changed",
    subject=lambda p: (
        _("Severity now %(severity)s: %(title)s")
        % {"severity": severity_label(p.get("to")), "title": user(p.get("crisis_title"))}
    ),
    body=lambda p: (
        _("%(who)s changed the severity from %(old)s to %(new)s; %(count)s open tasks re-timed.")
        % {
            "who": local(p.get("by")),
            "old": severity_label(p.get("from")),
            "new": severity_label(p.get("to")),
            "count": p.get("retimed", 0),
        }
    ),
    example={
        "crisis_title": _TITLE,
        "by": _PERSON,
        "from": "medium",
        "to": "critical",
        "retimed": 3,
    },
)

register(
    "crisis.reopened",
    subject=lambda p: _("Crisis reopened: %(title)s") % {"title": user(p.get("crisis_title"))},
    body=lambda p: (
        _("%(who)s reopened it: %(reason)s")
        % {"who": local(p.get("by")), "reason": user(p.get("reason"))}
    ),
    example={"crisis_title": _TITLE, "by": _PERSON, "reason": "The collectors came back"},
)

register(
    "crisis.status_update",
    subject=lambda p: _("Status update: %(title)s") % {"title": user(p.get("crisis_title"))},
    body=lambda p: (
        _("%(who)s: %(text)s") % {"who": local(p.get("by")), "text": user(p.get("text"))}
    ),
    example={"crisis_title": _TITLE, "by": _PERSON, "text": "Collectors left; police on site"},
)

register(
    "crisis.status_update_due",
    subject=lambda p: (
        _("Status update overdue: %(title)s") % {"title": user(p.get("crisis_title"))}
    ),
    body=lambda p: (
        _(
            "At this severity everyone expects an update every %(minutes)s minutes; the last one was due %(due)s."
        )
        % {
            "minutes": p.get("every_minutes"),
            "due": at_time(p.get("due_at", ""), p.get("time_zone", "")),
        }
    ),
    example={
        "crisis_title": _TITLE,
        "every_minutes": 30,
        "due_at": "2026-12-02T06:30:00+00:00",
        "time_zone": "Asia/Shanghai",
    },
)


def duty_action(task) -> dict[str, str]:
    """A task's duty action in both languages, for the parameters of a notification (a task
    added while the crisis runs has one instruction, typed in one language)."""
    if task.duty_id is None:
        return {"zh": task.action, "en": task.action}
    code = task.duty_code
    speed = task_drill_speed(task)  # a drill's durations on its compressed clock
    return {
        "zh": drill_text(task.duty.action_zh, speed) or code,
        "en": drill_text(task.duty.action_en, speed) or code,
    }


# --- Statutory clocks (issue 15 §3): the obligation's title comes in both languages ---------

_OBLIGATION = {
    "zh": "个人信息泄露：通知履行个人信息保护职责的部门",
    "en": "Personal-information breach — notify the data-protection authority",
}

register(
    "crisis.obligation_warning",
    subject=lambda p: (
        _("Statutory deadline soon: %(obligation)s") % {"obligation": local(p.get("obligation"))}
    ),
    body=lambda p: (
        _("%(title)s: due %(due)s. File it, or mark it not applicable with a reason.")
        % {
            "title": user(p.get("crisis_title")),
            "due": at_time(p.get("due_at", ""), p.get("time_zone", "")),
        }
    ),
    example={
        "crisis_title": _TITLE,
        "obligation": _OBLIGATION,
        "due_at": "2026-12-02T06:30:00+00:00",
        "time_zone": "Asia/Shanghai",
    },
)

register(
    "crisis.obligation_breach",
    subject=lambda p: (
        _("Statutory deadline missed: %(obligation)s") % {"obligation": local(p.get("obligation"))}
    ),
    body=lambda p: (
        _("%(title)s: the legal deadline has passed and nothing was filed.")
        % {"title": user(p.get("crisis_title"))}
    ),
    example={"crisis_title": _TITLE, "obligation": _OBLIGATION},
)

register(
    "crisis.obligation_escalation",
    subject=lambda p: (
        _("Escalation: statutory deadline missed: %(obligation)s")
        % {"obligation": local(p.get("obligation"))}
    ),
    body=lambda p: (
        _("%(title)s: the legal deadline has passed and nothing was filed; please step in.")
        % {"title": user(p.get("crisis_title"))}
    ),
    example={"crisis_title": _TITLE, "obligation": _OBLIGATION},
)


# --- Post-incident review: action items (issue 15 §5) ---------------------------------------

_ACTION_ITEM = "Add a night-shift contact to the finance duty"


def _action_item_body(params: Params) -> str:
    return _("%(title)s — due %(due)s.") % {
        "title": user(params.get("crisis_title")),
        "due": params.get("due_on", ""),
    }


register(
    "crisis.action_item",
    subject=lambda p: _("Action item for you: %(action)s") % {"action": user(p.get("action"))},
    body=_action_item_body,
    example={"crisis_title": _TITLE, "action": _ACTION_ITEM, "due_on": "2026-12-20"},
)

register(
    "crisis.action_item_due",
    subject=lambda p: _("Action item due today: %(action)s") % {"action": user(p.get("action"))},
    body=_action_item_body,
    example={"crisis_title": _TITLE, "action": _ACTION_ITEM, "due_on": "2026-12-20"},
)

register(
    "crisis.action_item_overdue",
    subject=lambda p: _("Action item overdue: %(action)s") % {"action": user(p.get("action"))},
    body=_action_item_body,
    example={"crisis_title": _TITLE, "action": _ACTION_ITEM, "due_on": "2026-12-20"},
)

register(
    "crisis.drill_announced",
    subject=lambda p: _("Drill announced: %(scenario)s") % {"scenario": local(p.get("scenario"))},
    body=lambda p: (
        _(
            "A drill of %(scenario)s for %(unit)s starts between %(start)s and %(end)s. You hold a "
            "duty in it: act as you would in a real crisis."
        )
        % {
            "scenario": local(p.get("scenario")),
            "unit": local(p.get("unit")),
            "start": at_time(p.get("window_start", ""), p.get("time_zone", "")),
            "end": at_time(p.get("window_end", ""), p.get("time_zone", "")),
        }
    ),
    example={
        "scenario": {"zh": "催收人员到访", "en": "Debt collectors on site"},
        "unit": {"zh": "上海子公司", "en": "Shanghai Co."},
        "window_start": "2026-12-07T01:00:00+00:00",
        "window_end": "2026-12-11T10:00:00+00:00",
        "time_zone": "Asia/Shanghai",
        "drill": True,
    },
)
