"""Notification kinds of employee self-service (``hrcore.notification_kinds``): questions and
disputes routed, reminded, escalated and answered; absences recorded and cancelled by the person."""

from __future__ import annotations

from django.utils.translation import gettext as _

from .notification_kinds import Params, at_time, local, on_day, register, user

_PERSON = {"zh": "周婷", "en": "Zhou Ting"}
_DELEGATE = {"zh": "陈静", "en": "Chen Jing"}


def _kind(params: Params) -> str:
    return _("score dispute") if params.get("kind") == "dispute" else _("question")


def _window(params: Params) -> str:
    return _("%(opens)s–%(closes)s (%(zone)s)") % {
        "opens": at_time(params.get("opens_at", ""), params.get("time_zone", "")),
        "closes": at_time(params.get("closes_at", ""), params.get("time_zone", ""))[11:],
        "zone": params.get("time_zone", ""),
    }


register(
    "question.routed",
    subject=lambda p: (
        _("New %(kind)s from %(name)s: %(subject)s")
        % {"kind": _kind(p), "name": local(p.get("asker")), "subject": user(p.get("subject"))}
    ),
    body=lambda p: _("Please answer it in the answer window %(window)s.") % {"window": _window(p)},
    example={
        "kind": "dispute",
        "asker": _PERSON,
        "subject": "Simulation score",
        "opens_at": "2026-12-03T11:00:00+00:00",
        "closes_at": "2026-12-03T13:00:00+00:00",
        "time_zone": "Asia/Shanghai",
    },
)

register(
    "question.reminder",
    subject=lambda p: (
        _("The answer window is open: %(count)s of your team's questions wait for you")
        % {"count": p.get("count", 0)}
    ),
    body=lambda p: (
        _("Unanswered questions go to HR when the window closes at %(closes)s.")
        % {"closes": at_time(p.get("closes_at", ""), p.get("time_zone", ""))}
    ),
    example={"count": 2, "closes_at": "2026-12-03T13:00:00+00:00", "time_zone": "Asia/Shanghai"},
)

register(
    "question.escalated",
    subject=lambda p: (
        _("Unanswered %(kind)s from %(name)s: %(subject)s")
        % {"kind": _kind(p), "name": local(p.get("asker")), "subject": user(p.get("subject"))}
    ),
    body=lambda p: (
        _("%(answerer)s did not answer it in the window that closed at %(closed)s.")
        % {
            "answerer": local(p.get("answerer")) or _("Nobody"),
            "closed": at_time(p.get("closed_at", ""), p.get("time_zone", "")),
        }
    ),
    example={
        "kind": "question",
        "asker": _PERSON,
        "answerer": {"zh": "王建国", "en": "Wang Jianguo"},
        "subject": "Leave balance",
        "closed_at": "2026-12-03T13:00:00+00:00",
        "time_zone": "Asia/Shanghai",
    },
)

register(
    "question.answered",
    subject=lambda p: (
        _("%(name)s answered your %(kind)s: %(subject)s")
        % {"name": local(p.get("answerer")), "kind": _kind(p), "subject": user(p.get("subject"))}
    ),
    body=lambda p: user(p.get("answer")),
    example={
        "kind": "dispute",
        "answerer": {"zh": "王建国", "en": "Wang Jianguo"},
        "subject": "Simulation score",
        "answer": "Reviewed, the score stands.",
    },
)

register(
    "absence.recorded",
    subject=lambda p: (
        _("%(name)s will be away %(starts)s – %(ends)s")
        % {
            "name": local(p.get("employee")),
            "starts": on_day(p.get("starts_at", ""), p.get("time_zone", "")),
            "ends": on_day(p.get("ends_at", ""), p.get("time_zone", "")),
        }
    ),
    body=lambda p: (
        _("%(delegate)s stands in meanwhile and receives their duties.")
        % {"delegate": local(p.get("delegate"))}
    ),
    example={
        "employee": _PERSON,
        "delegate": _DELEGATE,
        "starts_at": "2026-12-07T01:00:00+00:00",
        "ends_at": "2026-12-11T10:00:00+00:00",
        "time_zone": "Asia/Shanghai",
    },
)


def _absence_cancelled_body(params: Params) -> str:
    parts = []
    if params.get("ended_early"):
        parts.append(_("%(name)s is back early.") % {"name": local(params.get("employee"))})
    if local(params.get("delegate")):
        parts.append(
            _("%(delegate)s no longer stands in for them.")
            % {"delegate": local(params.get("delegate"))}
        )
    return " ".join(parts)


register(
    "absence.cancelled",
    subject=lambda p: (
        _("%(name)s cancelled their leave %(starts)s – %(ends)s")
        % {
            "name": local(p.get("employee")),
            "starts": on_day(p.get("starts_at", ""), p.get("time_zone", "")),
            "ends": on_day(p.get("ends_at", ""), p.get("time_zone", "")),
        }
    ),
    body=_absence_cancelled_body,
    example={
        "employee": _PERSON,
        "delegate": _DELEGATE,
        "starts_at": "2026-12-07T01:00:00+00:00",
        "ends_at": "2026-12-11T10:00:00+00:00",
        "time_zone": "Asia/Shanghai",
        "ended_early": True,
    },
)
