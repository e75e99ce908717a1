"""The admin writes through the services (issue 9 §3): inline rows and hand-deleted outbox rows
are checked and written by the same functions as every other caller."""

from __future__ import annotations

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from hrcore.choices import OutboxStatus
from hrcore.models import Absence, Employee, OrgUnit, OutboxMessage


def _absence_form(employee: Employee, delegate: Employee) -> dict:
    now = timezone.localtime()
    return {
        "employee": employee.pk,
        "starts_at_0": now.strftime("%Y-%m-%d"),
        "starts_at_1": "09:00:00",
        "ends_at_0": now.strftime("%Y-%m-%d"),
        "ends_at_1": "18:00:00",
        "delegate": delegate.pk,
        "reason": "trip",
    }


def test_absence_admin_refuses_the_absent_employee_as_their_own_delegate(client_as, users):
    staff = users["staff"].employee
    before = Absence.objects.count()
    response = client_as("hradmin").post("/admin/hrcore/absence/add/", _absence_form(staff, staff))
    assert response.status_code == 200
    assert "delegate" in response.context["adminform"].form.errors
    assert Absence.objects.count() == before


def test_absence_admin_saves_a_valid_absence(client_as, users):
    staff, manager = users["staff"].employee, users["manager"].employee
    before = Absence.objects.count()
    response = client_as("hradmin").post(
        "/admin/hrcore/absence/add/", _absence_form(staff, manager)
    )
    assert response.status_code == 302
    assert Absence.objects.count() == before + 1


def test_employee_inline_refuses_a_reporting_line_cycle(client_as, users):
    manager = users["manager"].employee
    staff = users["staff"].employee
    assert staff.manager_id == manager.pk  # the demo: staff reports to manager
    unit = manager.unit
    rows = list(Employee.objects.filter(unit=unit).order_by("pk"))
    data = {
        "code": unit.code,
        "name_zh": unit.name_zh,
        "name_en": unit.name_en,
        "kind": unit.kind,
        "function": unit.function,
        "parent": unit.parent_id or "",
        "head": unit.head_id or "",
        "time_zone": unit.time_zone,
        "employees-TOTAL_FORMS": len(rows),
        "employees-INITIAL_FORMS": len(rows),
    }
    for i, e in enumerate(rows):
        data.update(
            {
                f"employees-{i}-id": e.pk,
                f"employees-{i}-unit": unit.pk,
                f"employees-{i}-name_zh": e.name_zh,
                f"employees-{i}-name_en": e.name_en,
                f"employees-{i}-position": e.position_id or "",
                f"employees-{i}-manager": e.manager_id or "",
                f"employees-{i}-grade": e.grade,
            }
        )
        if e.pk == manager.pk:
            data[f"employees-{i}-manager"] = staff.pk  # manager reports to their own report
    response = client_as("hradmin").post(f"/admin/hrcore/orgunit/{unit.pk}/change/", data)
    assert response.status_code == 200
    manager.refresh_from_db()
    assert manager.manager_id != staff.pk
    assert OrgUnit.objects.get(pk=unit.pk).code == unit.code


def test_clearing_outbox_messages_by_hand_keeps_sent_ones(users):
    from hrcore.services.outbox import outbox_messages_clear

    sent = OutboxMessage.objects.create(
        channel="email", dedupe_key="t:sent", payload={}, status=OutboxStatus.SENT
    )
    pending = OutboxMessage.objects.create(channel="email", dedupe_key="t:pending", payload={})
    assert outbox_messages_clear(messages=[sent, pending], actor=users["hradmin"]) == 1
    assert OutboxMessage.objects.filter(pk=sent.pk).exists()
    assert not OutboxMessage.objects.filter(pk=pending.pk).exists()
    (entry,) = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(OutboxMessage), object_pk=str(pending.pk)
    )
    assert (entry.action, entry.actor) == (LogEntry.Action.DELETE, users["hradmin"])
