"""Contact channels per person (issue 13 §1): the pure channel plan (order, quiet hours,
severity override, missing ids), the person's own edit on the preferences page, the admin's
validation, and the demo people's IM ids."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from django.contrib.auth import get_user_model

from hrcore.contact import Channel, ContactCard, channel_plan, parse_channel_order
from hrcore.contact_services import contact_channels_update
from hrcore.errors import PermissionDenied, ValidationFailed
from hrcore.models import Employee

# 23:30 in Shanghai (UTC+8) is 15:30 UTC.
NIGHT = datetime(2026, 12, 2, 15, 30, tzinfo=UTC)
DAY = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def card(**overrides) -> ContactCard:
    values = {
        "employee_id": 1,
        "user_id": 7,
        "email": "a@example.com",
        "mobile": "+8613800138000",
        "dingtalk_user_id": "dt-a",
        "wecom_user_id": "",
        "feishu_open_id": "ou_abcdef123456",
        "quiet_hours_start": time(22, 0),
        "quiet_hours_end": time(7, 0),
    }
    values.update(overrides)
    return ContactCard(**values)


def test_the_plan_follows_the_persons_order_with_in_app_first_and_the_rest_after():
    plan = channel_plan(
        card(channel_order=parse_channel_order("sms, dingtalk")), severity="medium", now=DAY
    )
    assert [r.channel for r in plan.rungs] == [
        "inapp",
        "sms",
        "dingtalk",
        "wecom",
        "feishu",
        "email",
        "voice",
    ]
    assert [r.channel for r in plan.usable] == [
        "inapp",
        "sms",
        "dingtalk",
        "feishu",
        "email",
        "voice",
    ]
    # No WeCom id: skipped and says why, never an empty address sent to the provider.
    assert [(r.channel, r.skipped) for r in plan.skipped] == [("wecom", "no_address")]
    assert plan.usable[1].address == "+8613800138000"


def test_quiet_hours_hold_interrupting_channels_for_medium_but_not_for_high_or_critical():
    quiet = channel_plan(card(), severity="medium", now=NIGHT)
    assert [r.channel for r in quiet.usable] == ["inapp", "email"]
    assert {r.channel: r.skipped for r in quiet.skipped}["sms"] == "quiet_hours"
    for severity in ("high", "critical"):
        loud = channel_plan(card(), severity=severity, now=NIGHT)
        assert "sms" in [r.channel for r in loud.usable]
        assert "voice" in [r.channel for r in loud.usable]
    # Daytime: nothing held.
    assert "sms" in [r.channel for r in channel_plan(card(), severity="low", now=DAY).usable]


def test_quiet_hours_are_read_in_the_persons_time_zone_and_may_not_cross_midnight():
    # 15:30 UTC is 07:30 in Los Angeles (PST): just outside 22:00–07:00.
    assert not card(time_zone="America/Los_Angeles").in_quiet_hours(NIGHT)
    assert card().in_quiet_hours(NIGHT)
    same_day = card(quiet_hours_start=time(12, 0), quiet_hours_end=time(14, 0))
    assert not same_day.in_quiet_hours(NIGHT)
    assert same_day.in_quiet_hours(datetime(2026, 12, 2, 5, 0, tzinfo=UTC))  # 13:00 Shanghai
    assert not card(quiet_hours_start=None, quiet_hours_end=None).in_quiet_hours(NIGHT)


def test_channels_not_configured_in_the_deployment_are_left_out():
    plan = channel_plan(card(), severity="high", now=DAY, available=frozenset({"sms"}))
    assert [r.channel for r in plan.rungs] == ["inapp", "sms"]


# --- the person's own edit ----------------------------------------------------------------


@pytest.mark.django_db
def test_a_person_saves_their_own_channels_on_the_preferences_page(client_as, users):
    client = client_as("staff")
    page = client.get("/preferences/")
    assert page.status_code == 200
    assert 'data-testid="contact-channels"' in page.content.decode()
    response = client.post(
        "/preferences/contact/",
        {
            "email": "staff.new@example.com",
            "mobile": "+8613911112222",
            "dingtalk_user_id": "dt-staff-2",
            "wecom_user_id": "wc.staff",
            "feishu_open_id": "ou_0123456789abcdef",
            "channel_order": "DingTalk, sms",
            "quiet_hours_start": "22:00",
            "quiet_hours_end": "07:00",
        },
    )
    assert response.status_code == 302
    employee = Employee.objects.select_related("user").get(user__username="staff")
    assert employee.user.email == "staff.new@example.com"
    assert employee.mobile == "+8613911112222"
    assert employee.dingtalk_user_id == "dt-staff-2"
    assert employee.wecom_user_id == "wc.staff"
    assert employee.feishu_open_id == "ou_0123456789abcdef"
    assert employee.channel_order == "dingtalk,sms"
    assert (employee.quiet_hours_start, employee.quiet_hours_end) == (time(22), time(7))
    assert ContactCard.of(employee).address(Channel.SMS) == "+8613911112222"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field, value",
    [
        ("mobile", "call me"),
        ("dingtalk_user_id", "dt staff; drop"),
        ("feishu_open_id", "not-an-open-id"),
        ("channel_order", "dingtalk, pigeon"),
        ("channel_order", "sms, sms"),
        ("quiet_hours_start", "25:00"),
    ],
)
def test_bad_contact_input_is_a_400_naming_the_field_and_changes_nothing(
    client_as, users, field, value
):
    employee = Employee.objects.select_related("user").get(user__username="staff")
    before = {f: getattr(employee, f) for f in ("mobile", "dingtalk_user_id", "channel_order")}
    email_before = employee.user.email
    data = {
        "email": "changed@example.com",
        "mobile": "+8613911112222",
        "dingtalk_user_id": "dt-ok",
        "channel_order": "sms",
        field: value,
    }
    response = client_as("staff").post("/preferences/contact/", data)
    assert response.status_code == 400
    assert 'data-testid="contact-channels"' in response.content.decode()
    assert "errorlist" in response.content.decode()
    employee.refresh_from_db()
    employee.user.refresh_from_db()
    assert {f: getattr(employee, f) for f in before} == before
    assert employee.user.email == email_before


@pytest.mark.django_db
def test_one_quiet_hour_bound_alone_is_refused_by_the_service(users):
    employee = Employee.objects.get(user__username="staff")
    with pytest.raises(ValidationFailed) as exc:
        contact_channels_update(
            employee=employee, actor=employee.user, email="", quiet_hours_start=time(22)
        )
    assert "quiet_hours_end" in exc.value.errors
    employee.refresh_from_db()
    assert employee.quiet_hours_start is None


@pytest.mark.django_db
def test_nobody_changes_someone_elses_channels_through_the_service(users):
    employee = Employee.objects.get(user__username="staff")
    mobile = employee.mobile
    with pytest.raises(PermissionDenied):
        contact_channels_update(
            employee=employee,
            actor=users["manager"],
            email="x@example.com",
            mobile="+8613000000000",
        )
    employee.refresh_from_db()
    assert employee.mobile == mobile


@pytest.mark.django_db
def test_the_admin_refuses_an_unknown_channel_in_the_order(client_as, users):
    employee = Employee.objects.get(user__username="staff")
    admin = get_user_model().objects.get(username="hradmin")
    client = client_as("hradmin")
    assert admin.is_staff
    url = f"/admin/hrcore/employee/{employee.pk}/change/"
    form = client.get(url)
    assert form.status_code == 200
    html = form.content.decode()
    assert 'name="dingtalk_user_id"' in html and 'name="channel_order"' in html
    from tests.html_forms import form_data

    data = form_data(html, "channel_order")
    data["channel_order"] = ["dingtalk,pigeon"]
    response = client.post(url, data)
    assert response.status_code == 200  # the form again, with the error
    assert "pigeon" in response.content.decode()
    employee.refresh_from_db()
    assert employee.channel_order == ""
    data["channel_order"] = ["wecom,sms"]
    data["wecom_user_id"] = ["wc-hr-set"]
    response = client.post(url, data)
    assert response.status_code == 302
    employee.refresh_from_db()
    assert (employee.channel_order, employee.wecom_user_id) == ("wecom,sms", "wc-hr-set")


@pytest.mark.django_db
def test_the_demo_people_have_a_mobile_and_an_id_on_every_im(demo_org):
    people = list(Employee.objects.all())
    assert people
    for employee in people:
        card_ = ContactCard.of(employee)
        for channel in ("sms", "dingtalk", "wecom", "feishu"):
            assert card_.address(channel), (employee.user.username, channel)
        employee.full_clean()  # the seeded values pass the validators the admin runs
