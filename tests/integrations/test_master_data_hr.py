"""HR master data through signed webhooks (issue 14 §4): every event, every bad input, the
event ledger, one transaction per event, and the org-changed hook."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from werkzeug.test import Client as WerkzeugClient
from werkzeug.wrappers import Response

from crisis.choices import EventKind
from crisis.models import TimelineEvent
from hrcore import hooks
from hrcore.models import Absence, ApiToken, Employee, Notification, OrgUnit
from hrcore.selectors import resolve_assignee
from hrcore.services.tokens import api_token_issue
from integrations import demo
from integrations.models import MasterDataEvent, Partner
from integrations.sandbox.app import Sandbox, partner_secret
from integrations.services import partners as partners_services

from .master_data_helpers import hr_partner_save, person, signed_post

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def hr(demo_org, django_capture_on_commit_callbacks):
    """The HR partner, the named demo people linked to their HR ids (HR-0102 is ``finance``),
    the Shanghai general manager as HR-0100, and a recorder of the org-changed hook."""
    bot = User.objects.create(username="hr-bot")
    hr_partner_save(service_user=bot)
    demo.seed_hr_links()
    Employee.objects.filter(user__username="sh-executive-head").update(external_id="HR-0100")
    changes: list[hooks.OrgChange] = []
    hooks.on_org_changed(changes.append)

    class Hr:
        recorded = changes

        def post(self, payload, delivery, **kwargs):
            with django_capture_on_commit_callbacks(execute=True):
                return signed_post(self.client, "sandbox-hr", payload, delivery=delivery, kind="hr")

    yield Hr()
    hooks.org_changed_unregister(changes.append)


@pytest.fixture
def send(hr, client):
    hr.client = client
    return hr.post


def ledger(**filters):
    return list(MasterDataEvent.objects.filter(**filters).order_by("id"))


# --- employee.hired ------------------------------------------------------------------------


def test_a_hire_creates_the_account_with_contact_channels(send, hr):
    response = send({"event": "employee.hired", "employee": person("HR-2001")}, "h-1")
    assert response.status_code == 200, response.content
    employee = Employee.objects.select_related("user", "manager", "unit", "position").get(
        external_id="HR-2001"
    )
    assert (employee.name_zh, employee.name_en) == ("李娜", "Li Na")
    assert (employee.unit.code, employee.position.code) == ("sh-finance", "finance-manager")
    assert employee.manager.user.username == "sh-executive-head"
    assert (employee.mobile, employee.dingtalk_user_id, employee.wecom_user_id) == (
        "+8613900001111",
        "dt-lina",
        "wc-lina",
    )
    assert employee.feishu_open_id == "ou_lina0000000001"
    assert employee.user.username == "li.na" and employee.user.email == "li.na@example.com"
    assert employee.user.is_active and not employee.user.has_usable_password()
    assert set(employee.user.groups.values_list("name", flat=True)) == {"staff", "manager"}
    (row,) = ledger(event_id="h-1")
    assert (row.status, row.subject, row.event, row.origin) == (
        "applied",
        "HR-2001",
        "employee.hired",
        "webhook",
    )
    assert row.result["employee_id"] == employee.pk
    # One change, one notice: the org services the hire goes through do not tell the listeners
    # a second time ("employee.saved").
    assert [(c.kind, c.employee_ids, c.source) for c in hr.recorded] == [
        ("employee.hired", (employee.pk,), "webhook")
    ]


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("unit", "atlantis-finance", "unknown_unit"),
        ("position", "chief-astronaut", "unknown_position"),
        ("manager", "HR-9999", "unknown_manager"),
    ],
)
def test_a_hire_naming_an_unknown_unit_position_or_manager_is_refused_whole(
    send, field, value, code
):
    users_before = User.objects.count()
    response = send(
        {"event": "employee.hired", "employee": person("HR-2002", **{field: value})}, "h-2"
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == code and value in body["detail"]
    assert value in body["reason"]["zh-hans"] and value in body["reason"]["en"]
    assert body["reason"]["zh-hans"] != body["reason"]["en"]  # both languages, each its own
    assert User.objects.count() == users_before  # nothing half-applied: no account either
    assert not Employee.objects.filter(external_id="HR-2002").exists()
    (row,) = ledger(event_id="h-2")
    assert (row.status, row.reason_code) == ("rejected", code)
    assert value in row.reason_en and value in row.reason_zh


@pytest.mark.parametrize(
    ("employee", "code", "field"),
    [
        ({"external_id": "HR-2003"}, "malformed", None),
        (person("HR-2003", mobile="call me"), "invalid_person", "mobile"),
        (person("HR-2003", feishu_id="not-an-open-id"), "invalid_person", "feishu_open_id"),
        (person("HR-2003", email="nobody"), "invalid_person", "email"),
        (person("HR-2003", name_zh=""), "invalid_person", "name_zh"),
    ],
)
def test_bad_person_records_are_refused_with_the_field(send, employee, code, field):
    response = send({"event": "employee.hired", "employee": employee}, "h-3")
    assert response.status_code == 422, response.content
    assert response.json()["code"] == code
    if field:
        assert field in response.json()["errors"]
    assert not Employee.objects.filter(external_id="HR-2003").exists()


def test_hiring_someone_already_employed_is_refused(send):
    response = send({"event": "employee.hired", "employee": person("HR-0102")}, "h-4")
    assert response.status_code == 409
    assert response.json()["code"] == "already_employed"


# --- duplicates, order, signatures -----------------------------------------------------------


def test_a_duplicate_is_refused_and_recorded(send):
    payload = {"event": "employee.hired", "id": "evt-77", "employee": person("HR-2004")}
    assert send(payload, "d-1").status_code == 200
    again = send(payload, "d-1")  # the same delivery, retried
    assert again.status_code == 409 and again.json()["code"] == "duplicate"
    same_event = send({**payload, "note": "resent"}, "d-2")  # same event id, new delivery
    assert same_event.status_code == 409 and same_event.json()["code"] == "duplicate"
    assert Employee.objects.filter(external_id="HR-2004").count() == 1
    assert [r.status for r in ledger(event_id="evt-77")] == ["applied", "duplicate", "duplicate"]


def test_a_transfer_before_the_hire_is_refused_then_applies_once_the_hire_came(send):
    transfer = {
        "event": "employee.transferred",
        "employee": person("HR-2005", unit="sz-finance", manager=""),
    }
    early = send(transfer, "t-1")
    assert early.status_code == 409 and early.json()["code"] == "unknown_employee"
    assert "employee.hired" in early.json()["detail"]
    assert (
        send({"event": "employee.hired", "employee": person("HR-2005")}, "t-0").status_code == 200
    )
    retried = send(transfer, "t-1")  # the same delivery, resent after the hire: applied now
    assert retried.status_code == 200, retried.content
    employee = Employee.objects.get(external_id="HR-2005")
    assert employee.unit.code == "sz-finance" and employee.manager is None
    assert sorted(retried.json()["result"]["changed"]) == ["manager", "unit"]
    assert [r.status for r in ledger(event_id="t-1")] == ["rejected", "applied"]


def test_an_older_event_than_one_applied_is_refused_as_stale(send):
    now = timezone.now()
    hire = {
        "event": "employee.hired",
        "employee": person("HR-2006"),
        "occurred_at": now.isoformat(),
    }
    assert send(hire, "s-1").status_code == 200
    older = {
        "event": "employee.transferred",
        "employee": person("HR-2006", unit="sz-finance", manager=""),
        "occurred_at": (now - timedelta(hours=1)).isoformat(),
    }
    response = send(older, "s-2")
    assert response.status_code == 409 and response.json()["code"] == "stale"
    assert Employee.objects.get(external_id="HR-2006").unit.code == "sh-finance"


def test_forged_and_misrouted_hr_events_are_refused(hr, client, send):
    payload = {"event": "employee.hired", "employee": person("HR-2007")}
    forged = signed_post(client, "sandbox-hr", payload, delivery="f-1", kind="hr", secret="guess")
    assert forged.status_code == 401 and forged.json()["code"] == "signature_invalid"
    assert not MasterDataEvent.objects.exists()

    partners_services.partner_save(
        slug="sandbox-crm",
        name="CRM",
        kind="crm",
        base_url="http://127.0.0.1:9",
        webhook_secret="test-webhook-secret-crm",
    )
    misrouted = signed_post(client, "sandbox-crm", payload, delivery="f-2", kind="crm")
    assert misrouted.status_code == 409 and misrouted.json()["code"] == "wrong_partner"
    assert not Employee.objects.filter(external_id="HR-2007").exists()


# --- employee.transferred ---------------------------------------------------------------------


def test_a_transfer_moves_the_person_and_the_resolver_follows(send):
    finance = Employee.objects.get(external_id="HR-0102")
    shanghai = OrgUnit.objects.get(code="sh")
    assert resolve_assignee(unit=shanghai, function="finance").employee == finance
    moved = person(
        "HR-0102",
        name_zh="陈静",
        name_en="Chen Jing",
        unit="sz-finance",
        position="accountant",
        manager="",
        mobile="+8613700000000",
    )
    response = send({"event": "employee.transferred", "employee": moved}, "tr-1")
    assert response.status_code == 200, response.content
    finance.refresh_from_db()
    assert (finance.unit.code, finance.position.code, finance.grade) == (
        "sz-finance",
        "accountant",
        finance.position.grade,
    )
    assert finance.mobile == "+8613700000000" and finance.user.email == "li.na@example.com"
    assert resolve_assignee(unit=shanghai, function="finance").employee != finance


# --- employee.left ------------------------------------------------------------------------------


@pytest.fixture
def emergency(users, django_capture_on_commit_callbacks):
    from crisis.services.filing import crisis_file

    with django_capture_on_commit_callbacks(execute=True):
        return crisis_file(
            scenario="debt-collection-emergency",
            title="Collectors on site",
            customer_external_id="CUST-1001",
            actor=users["manager"],
        )


def test_a_departure_deactivates_revokes_and_hands_the_open_task_on(send, emergency, users):
    finance = Employee.objects.get(external_id="HR-0102")
    task = emergency.tasks.get(duty_code="finance-records")
    assert task.assignee == finance
    api_token_issue(user=finance.user)
    response = send({"event": "employee.left", "employee": {"external_id": "HR-0102"}}, "l-1")
    assert response.status_code == 200, response.content
    result = response.json()["result"]
    finance.refresh_from_db()
    assert not finance.is_active and not finance.user.is_active
    assert not ApiToken.objects.filter(user=finance.user, revoked_at__isnull=True).exists()
    assert result["tokens_revoked"] == 1 and result["units_headed"] == ["sh-finance"]
    assert OrgUnit.objects.get(code="sh-finance").head is None
    task.refresh_from_db()
    expected = resolve_assignee(unit=emergency.unit, function="finance").employee
    assert task.assignee == expected and expected != finance and not task.assignee_gap
    assert result["tasks_reassigned"] == [
        {
            "task_id": task.pk,
            "crisis_id": emergency.pk,
            "duty": "finance-records",
            "to_id": expected.pk,
        }
    ]
    moved = TimelineEvent.objects.get(crisis=emergency, kind=EventKind.TASK_REASSIGNED)
    assert (moved.data["from_id"], moved.data["to_id"], moved.data["handover"]) == (
        finance.pk,
        expected.pk,
        True,
    )
    notice = Notification.objects.get(recipient=users["hradmin"], kind="hr.employee_left")
    assert notice.link == f"/integrations/offboarding/?employee={finance.pk}"
    assert notice.params["tasks"] == 1 and notice.params["gaps"] == 0


def test_a_leaver_whose_role_nobody_else_holds_leaves_a_flagged_gap(send, emergency):
    Employee.objects.filter(unit__function="finance").exclude(external_id="HR-0102").update(
        is_active=False
    )
    response = send({"event": "employee.left", "employee": {"external_id": "HR-0102"}}, "l-2")
    assert response.status_code == 200, response.content
    task = emergency.tasks.get(duty_code="finance-records")
    assert task.assignee_gap and task.assignee.is_active
    (reassigned,) = response.json()["result"]["tasks_reassigned"]
    assert reassigned["gap"] == "role_vacant" and reassigned["to_id"] == task.assignee_id
    gap = TimelineEvent.objects.get(crisis=emergency, kind=EventKind.ASSIGNEE_UNRESOLVED, task=task)
    assert "Chen Jing left" in gap.data["reason"]


def test_the_departed_appear_on_the_handover_page(send, client_as):
    response = send({"event": "employee.left", "employee": {"external_id": "HR-0105"}}, "l-3")
    assert response.status_code == 200
    staff = Employee.objects.get(external_id="HR-0105")
    assert response.json()["result"]["customers_to_hand_over"] == 1
    page = client_as("hradmin").get(f"/integrations/offboarding/?employee={staff.pk}")
    assert page.status_code == 200
    assert "CUST-1002" in page.content.decode()


def test_leaving_twice_is_refused(send):
    assert (
        send({"event": "employee.left", "employee": {"external_id": "HR-0103"}}, "l-4").status_code
        == 200
    )
    again = send(
        {"event": "employee.left", "id": "again", "employee": {"external_id": "HR-0103"}}, "l-5"
    )
    assert again.status_code == 409 and again.json()["code"] == "already_left"
    after_leaving = send(
        {"event": "employee.transferred", "employee": person("HR-0103", unit="sz-legal")}, "l-6"
    )
    assert after_leaving.status_code == 409 and after_leaving.json()["code"] == "not_employed"


# --- employee.absent ------------------------------------------------------------------------------


def test_an_absence_routes_duties_to_the_delegate_for_its_dates(send, hr):
    finance = Employee.objects.get(external_id="HR-0102")
    delegate = Employee.objects.get(user__username="sh-finance-1")
    delegate.external_id = "HR-0150"
    delegate.save(update_fields=["external_id"])
    today = timezone.localdate()
    payload = {
        "event": "employee.absent",
        "employee": {"external_id": "HR-0102"},
        "absence": {
            "id": "ABS-1",
            "kind": "business_trip",
            "starts_at": today.isoformat(),
            "ends_at": (today + timedelta(days=2)).isoformat(),
            "delegate": "HR-0150",
        },
    }
    response = send(payload, "a-1")
    assert response.status_code == 200, response.content
    absence = Absence.objects.get(external_id="ABS-1")
    assert (absence.kind, absence.delegate, absence.employee) == (
        "business_trip",
        delegate,
        finance,
    )
    assert absence.ends_at - absence.starts_at == timedelta(days=3)  # whole days, inclusive
    shanghai = OrgUnit.objects.get(code="sh")
    during = resolve_assignee(unit=shanghai, function="finance")
    assert (during.employee, during.holder, during.via_delegate) == (delegate, finance, True)
    after = resolve_assignee(
        unit=shanghai, function="finance", at=absence.ends_at + timedelta(hours=1)
    )
    assert after.employee == finance
    assert any(c.kind == "employee.absent" and finance.pk in c.employee_ids for c in hr.recorded)
    cancelled = send({**payload, "absence": {"id": "ABS-1", "cancelled": True}}, "a-2")
    assert cancelled.status_code == 200 and not Absence.objects.filter(external_id="ABS-1").exists()


@pytest.mark.parametrize(
    ("absence", "code"),
    [
        (
            {"kind": "sabbatical", "starts_at": "2026-12-03", "ends_at": "2026-12-04"},
            "unknown_absence_kind",
        ),
        ({"kind": "leave", "starts_at": "tomorrow", "ends_at": "2026-12-04"}, "malformed"),
        ({"kind": "leave", "starts_at": "2026-12-05", "ends_at": "2026-12-03"}, "invalid"),
        (
            {
                "kind": "leave",
                "starts_at": "2026-12-03",
                "ends_at": "2026-12-04",
                "delegate": "HR-404",
            },
            "unknown_delegate",
        ),
        ({"id": "ABS-none", "cancelled": True}, "unknown_absence"),
    ],
)
def test_bad_absences_are_refused(send, absence, code):
    payload = {
        "event": "employee.absent",
        "employee": {"external_id": "HR-0102"},
        "absence": absence,
    }
    response = send(payload, "a-bad")
    assert 400 <= response.status_code < 500, response.content
    assert response.json()["code"] == code
    assert not Absence.objects.filter(employee__external_id="HR-0102").exists()


# --- org_unit.changed -------------------------------------------------------------------------------


def test_a_unit_change_renames_moves_and_sets_the_head(send, hr):
    payload = {
        "event": "org_unit.changed",
        "unit": {
            "code": "sh-finance",
            "name_zh": "上海财务中心",
            "name_en": "Shanghai Finance Centre",
            "head": "HR-0100",
        },
    }
    response = send(payload, "u-1")
    assert response.status_code == 200, response.content
    unit = OrgUnit.objects.get(code="sh-finance")
    assert (unit.name_en, unit.head.external_id) == ("Shanghai Finance Centre", "HR-0100")
    assert sorted(response.json()["result"]["changed"]) == ["head_id", "name_en", "name_zh"]
    created = send(
        {
            "event": "org_unit.changed",
            "unit": {
                "code": "sh-treasury",
                "name_zh": "上海资金部",
                "name_en": "Shanghai Treasury",
                "parent": "sh",
                "kind": "department",
                "function": "finance",
            },
        },
        "u-2",
    )
    assert created.status_code == 200 and created.json()["result"]["created"] is True
    assert OrgUnit.objects.get(code="sh-treasury").parent.code == "sh"
    assert any(c.kind == "org_unit.changed" for c in hr.recorded)


@pytest.mark.parametrize(
    ("unit", "code"),
    [
        ({"code": "nowhere", "name_zh": "无", "name_en": "Nowhere"}, "unknown_unit"),
        (
            {"code": "sh-finance", "name_zh": "x", "name_en": "x", "parent": "atlantis"},
            "unknown_unit",
        ),
        (
            {
                "code": "sh-x",
                "name_zh": "x",
                "name_en": "x",
                "parent": "sh",
                "kind": "department",
                "function": "alchemy",
            },
            "invalid_unit",
        ),
        ({"code": "sh-finance", "name_zh": "x", "name_en": "x", "parent": "sh-finance"}, "invalid"),
    ],
)
def test_bad_unit_changes_are_refused_whole(send, unit, code):
    response = send({"event": "org_unit.changed", "unit": unit}, "u-bad")
    assert 400 <= response.status_code < 500, response.content
    assert response.json()["code"] == code
    assert OrgUnit.objects.get(code="sh-finance").name_en == "Shanghai Finance"
    assert not OrgUnit.objects.filter(code__in=["nowhere", "sh-x"]).exists()


# --- the ledger for HR admins ------------------------------------------------------------------------


def test_the_ledger_is_readable_by_hr_admins_only(send, api_as):
    send({"event": "employee.hired", "employee": person("HR-2010", unit="atlantis")}, "g-1")
    send({"event": "employee.hired", "employee": person("HR-2011")}, "g-2")
    rows = api_as("hradmin").get("/api/v1/integrations/master-data-events/").json()["results"]
    assert [(r["event_id"], r["status"], r["reason_code"]) for r in rows] == [
        ("g-2", "applied", ""),
        ("g-1", "rejected", "unknown_unit"),
    ]
    rejected = api_as("hradmin").get(
        "/api/v1/integrations/master-data-events/?status=rejected",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert [r["subject"] for r in rejected.json()["results"]] == ["HR-2010"]
    assert api_as("manager").get("/api/v1/integrations/master-data-events/").status_code == 403


def test_the_hook_is_told_only_after_commit(hr):
    from hrcore.services import master_data

    seen = hr.recorded
    before = len(seen)
    with pytest.raises(RuntimeError), transaction.atomic():  # a rolled-back change tells nobody
        master_data.employee_leave(external_id="HR-0104")
        raise RuntimeError("rolled back")
    assert len(seen) == before
    assert Employee.objects.get(external_id="HR-0104").is_active


def test_an_hr_event_as_the_sandbox_signs_and_sends_it_is_applied_once(hr, client, httpserver):
    """The sandbox's HR system sends ``employee.left`` as ``sandbox-hr`` (its own secret); the
    request exactly as it arrived is applied by Keel, and replaying it is a recorded duplicate."""
    received = []
    httpserver.expect_request("/hooks/sandbox-hr/", method="POST").respond_with_handler(
        lambda request: received.append(request) or Response("{}")
    )
    sandbox = Sandbox(
        token="t", webhook_url=httpserver.url_for("/hooks/{partner}/"), webhook_secret="base"
    )
    partners_services.partner_save(
        partner=Partner.objects.get(slug="sandbox-hr"),
        webhook_secret=partner_secret("base", "sandbox-hr"),
    )
    event = {
        "event": "employee.left",
        "employee": {"external_id": "HR-0104"},
        "partner": "sandbox-hr",
    }
    sent = WerkzeugClient(sandbox).post(
        "/_admin/emit", json=event, headers={"Authorization": "Bearer t"}
    )
    assert sent.status_code == 200, sent.get_data()
    assert {p["external_id"]: p["status"] for p in sandbox.hr.roster()["employees"]}[
        "HR-0104"
    ] == "left"
    (request,) = received
    headers = {
        f"HTTP_{k.upper().replace('-', '_')}": v
        for k, v in request.headers.items()
        if k.lower().startswith("x-keel-")
    }

    def replay():
        return client.post(
            "/api/v1/integrations/webhooks/sandbox-hr/",
            data=request.get_data(),
            content_type="application/json",
            **headers,
        )

    applied = replay()
    assert applied.status_code == 200, applied.content
    assert not Employee.objects.get(external_id="HR-0104").is_active
    again = replay()
    assert again.status_code == 409 and again.json()["code"] == "duplicate"
    assert [r.status for r in ledger(subject="HR-0104")] == ["applied", "duplicate"]
    assert json.loads(request.get_data())["event"] == "employee.left"


def test_an_absence_that_has_begun_hands_open_tasks_to_the_delegate(send, emergency):
    finance = Employee.objects.get(external_id="HR-0102")
    delegate = Employee.objects.get(user__username="sh-finance-2")
    Employee.objects.filter(pk=delegate.pk).update(external_id="HR-0151")
    task = emergency.tasks.get(duty_code="finance-records")
    assert task.assignee == finance
    now = timezone.now()
    payload = {
        "event": "employee.absent",
        "employee": {"external_id": "HR-0102"},
        "absence": {
            "kind": "leave",
            "starts_at": (now - timedelta(minutes=5)).isoformat(),
            "ends_at": (now + timedelta(days=1)).isoformat(),
            "delegate": "HR-0151",
        },
    }
    response = send(payload, "a-now")
    assert response.status_code == 200, response.content
    assert response.json()["result"]["tasks_to_delegate"] == [task.pk]
    task.refresh_from_db()
    assert task.assignee == delegate


def test_edits_in_keel_tell_the_hook_and_preferences_do_not(hr, django_capture_on_commit_callbacks):
    from hrcore.services import org

    finance = Employee.objects.get(external_id="HR-0102")
    with django_capture_on_commit_callbacks(execute=True):
        org.user_preferences_update(user=finance.user, language="en")
    assert hr.recorded == []
    finance.mobile = "+8613600000000"
    with django_capture_on_commit_callbacks(execute=True):
        org.employee_save(employee=finance)
    assert [(c.kind, c.employee_ids, c.unit_ids) for c in hr.recorded] == [
        ("employee.saved", (finance.pk,), (finance.unit_id,))
    ]


def test_hr_admins_read_the_ledger_in_the_admin_in_their_language(send, client_as):
    send({"event": "employee.hired", "employee": person("HR-2020", unit="atlantis")}, "adm-1")
    page = client_as("hradmin").get("/admin/integrations/masterdataevent/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "HR-2020" in text and "未知部门“atlantis”" in text
    assert client_as("manager").get("/admin/integrations/masterdataevent/").status_code in (
        302,
        403,
    )


def test_a_replayed_delivery_is_recorded_once_however_often_it_comes(send):
    payload = {"event": "employee.hired", "id": "evt-78", "employee": person("HR-2005")}
    assert send(payload, "d-1").status_code == 200
    for _ in range(3):  # a captured request replayed: refused, the ledger does not grow
        again = send(payload, "d-1")
        assert again.status_code == 409 and again.json()["code"] == "duplicate"
    assert [r.status for r in ledger(event_id="evt-78")] == ["applied", "duplicate"]
