"""Training notification kinds (``hrcore.notification_kinds``): simulation titles and people's
names in both languages, dates as moments, the HR note as typed."""

from __future__ import annotations

from django.utils.translation import gettext as _

from hrcore.notification_kinds import Params, at_time, local, on_day, quoted_user, register, user

_SIMULATION = {"zh": "催收人员闯入办公室", "en": "Collectors in the office"}


def _assigned_body(params: Params) -> str:
    text = _("Please complete it by %(day)s.") % {"day": on_day(params.get("due_at", ""))}
    note = user(params.get("note"))
    return f"{text} {note}" if note else text


register(
    "training.assigned",
    subject=lambda p: (
        _("New practice simulation: %(title)s") % {"title": local(p.get("simulation"))}
    ),
    body=_assigned_body,
    example={"simulation": _SIMULATION, "due_at": "2026-12-09T06:30:00+00:00", "note": "Please"},
)

register(
    "training.reminder",
    subject=lambda p: (
        _("Reminder: please complete “%(title)s”") % {"title": local(p.get("simulation"))}
    ),
    body=lambda p: _("Due %(when)s.") % {"when": at_time(p.get("due_at", ""))},
    example={"simulation": _SIMULATION, "due_at": "2026-12-09T06:30:00+00:00"},
)

register(
    "training.overdue",
    subject=lambda p: (
        _("Overdue: %(name)s's simulation “%(title)s”")
        % {"name": local(p.get("employee")), "title": local(p.get("simulation"))}
    ),
    example={"simulation": _SIMULATION, "employee": {"zh": "王伟", "en": "Wang Wei"}},
)

register(
    "training.recognition",
    subject=lambda p: _("You earned %(n)s resilience star(s)") % {"n": p.get("stars", 1)},
    body=lambda p: quoted_user(p.get("reason")),
    example={
        "stars": 1,
        "reason": {"zh": "危机按时处置", "en": "Handled a crisis on time"},
    },
)
