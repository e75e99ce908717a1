"""The crisis API's read representation built from plain rows (issue 12 §2).

``CrisisSerializer`` walks model instances field by field (a DRF field object per value, nested
serializers per task and assignee); for the list's page of 50 crises with their tasks that was
most of the request, so the list grew with its rows. These functions make the very same JSON —
the same keys in the same order, the same values — from the rows of
``crisis.selectors.crises.crisis_rows`` / ``task_rows_of``. ``CrisisSerializer`` stays the
documented shape (the OpenAPI schema) and renders single crises; a test holds the two to each
other for every kind of field (``tests/crisis/test_api_representation.py``)."""

from __future__ import annotations

from datetime import datetime, tzinfo

from django.conf import settings
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from hrcore.i18n import is_chinese

from ..drill_timing import crisis_drill_speed, drill_text
from ..task_state import task_late


class _Clock:
    """What every row of one response shares: the reader's time zone and language, and now."""

    __slots__ = ("_field", "now", "tz", "zh")

    def __init__(self) -> None:
        self.now = timezone.now()
        self.zh = is_chinese()
        fast = settings.USE_TZ and str(api_settings.DATETIME_FORMAT).lower() == ISO_8601
        self.tz: tzinfo | None = timezone.get_current_timezone() if fast else None
        self._field = None if fast else serializers.DateTimeField()

    def iso(self, value: datetime | None) -> str | None:
        """``serializers.DateTimeField().to_representation(value)``: ISO 8601 in the reader's
        time zone, ``Z`` for UTC."""
        if not value:
            return None
        if self.tz is None:
            return self._field.to_representation(value)
        text = value.astimezone(self.tz).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    def pick(self, zh: str | None, en: str | None) -> str:
        """``hrcore.i18n.pick`` over two values."""
        zh, en = zh or "", en or ""
        return (zh or en) if self.zh else (en or zh)


def _task(row, speed: int, clock: _Clock) -> dict:
    iso = clock.iso
    if row.duty_id is None:
        action = row.action
    else:
        action = drill_text(clock.pick(row.duty__action_zh, row.duty__action_en), speed)
    if row.assignee_id is None:
        assignee = None
    else:
        assignee = {
            "id": row.assignee_id,
            "username": row.assignee__user__username,
            "name": clock.pick(row.assignee__name_zh, row.assignee__name_en),
            "name_zh": row.assignee__name_zh,
            "name_en": row.assignee__name_en,
        }
    return {
        "id": row.id,
        "crisis": row.crisis_id,
        "kind": row.kind,
        "duty": row.duty_code,
        "action": action,
        "follow_up_of": row.follow_up_of_id,
        "deliverable": row.deliverable_kind,
        "assignee": assignee,
        "assignee_gap": bool(row.assignee_gap),
        "status": row.status,
        "sla_state": row.timer_state,
        "after": row.after,
        "deadline_minutes": row.deadline_minutes,
        "started_at": iso(row.started_at),
        "warn_at": iso(row.warn_at),
        "due_at": iso(row.due_at),
        "acknowledged_at": iso(row.acknowledged_at),
        "completed_at": iso(row.completed_at),
        "paused_at": iso(row.paused_at),
        "paused_seconds": row.paused_seconds,
        "escalation_step": row.escalation_step,
        "late": task_late(row, clock.now),
    }


def _crisis(row, tasks: list, walk_in_row, clock: _Clock) -> dict:
    iso = clock.iso
    if walk_in_row is None:
        walk_in = None
    else:
        walk_in = {
            "name": walk_in_row.name,
            "phone": walk_in_row.phone,
            "purchase": walk_in_row.purchase,
            "responsible": walk_in_row.responsible__user__username,
            "supervisor": walk_in_row.supervisor__user__username,
        }
    speed = crisis_drill_speed(row)
    return {
        "id": row.id,
        "status": row.status,
        "scenario": row.scenario__code,
        "map_version": row.map_version,
        "title": row.title,
        "description": row.description,
        "unit": row.unit__code,
        "customer": row.customer__external_id,
        "severity": row.severity,
        "source": row.source,
        "filed_by": row.filed_by__username,
        "filed_at": iso(row.filed_at),
        "closed_at": iso(row.closed_at),
        "outcome": row.outcome,
        "lessons": row.lessons,
        "first_response_seconds": row.first_response_seconds,
        "all_info_seconds": row.all_info_seconds,
        "decision_seconds": row.decision_seconds,
        "resolution_seconds": row.resolution_seconds,
        "breach_count": row.breach_count,
        "drill": bool(row.is_drill),
        "drill_speed": row.drill_speed,
        "walk_in": walk_in,
        "tasks": [_task(t, speed, clock) for t in tasks],
    }


def crises_representation(
    rows: list, tasks_by_crisis: dict[int, list], walk_ins: dict[int, tuple]
) -> list[dict]:
    """``CrisisSerializer(crises, many=True).data`` for the crises of ``rows`` with the tasks of
    ``tasks_by_crisis`` and the walk-in consumers of ``walk_ins``, in the reader's language and
    time zone."""
    clock = _Clock()
    return [
        _crisis(row, tasks_by_crisis.get(row.id, ()), walk_ins.get(row.id), clock) for row in rows
    ]
