"""Pages of the foundation: log-in gate, MFA enrolment gate, org chart, language, health."""

import io
from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import CommandError, call_command
from django.utils import timezone

from hrcore.errors import ValidationFailed
from hrcore.models import Employee, Heartbeat, OrgUnit

pytestmark = pytest.mark.django_db


def test_anonymous_users_are_sent_to_log_in(client, demo_org):
    response = client.get("/org/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_org_chart_shows_every_unit_in_chinese_by_default(client_as):
    response = client_as("staff").get("/org/")
    assert response.status_code == 200
    html = response.content.decode()
    for unit in OrgUnit.objects.all():
        assert unit.name_zh in html
    assert "组织架构" in html
    assert "王建国" in html


def test_language_switch_is_stored_on_the_employee(client_as, users):
    client = client_as("manager")
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/org/"})
    assert response.status_code == 302
    assert response["Location"] == "/org/"
    assert Employee.objects.get(user__username="manager").language == "en"
    html = client.get("/org/").content.decode()
    assert "Organisation chart" in html
    assert "Wang Jianguo" in html


def test_a_language_switch_keeps_an_hr_edit_made_since_the_page_was_read(users):
    """The switch writes the language only: the record the request read (stale by now) does
    not go back over what HR changed in between, nor is the reporting line validated again."""
    from hrcore.services.org import employee_save, user_preferences_update

    reader = Employee.objects.select_related("user").get(user__username="staff")
    edited = Employee.objects.get(pk=reader.pk)
    edited.name_en = "Renamed by HR"
    employee_save(employee=edited)
    user_preferences_update(user=reader.user, language="en")
    stored = Employee.objects.get(pk=reader.pk)
    assert (stored.language, stored.name_en) == ("en", "Renamed by HR")
    with pytest.raises(ValidationFailed):
        user_preferences_update(user=reader.user, time_zone="Mars/Olympus")
    assert Employee.objects.get(pk=reader.pk).time_zone == stored.time_zone


def test_language_switch_refuses_foreign_redirects(client_as):
    response = client_as("manager").post(
        "/i18n/setlang/", {"language": "en", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_preferences_time_zone(client_as):
    client = client_as("staff")
    response = client.post("/preferences/", {"language": "zh-hans", "time_zone": "Europe/London"})
    assert response.status_code == 302
    assert Employee.objects.get(user__username="staff").time_zone == "Europe/London"
    bad = client.post("/preferences/", {"language": "zh-hans", "time_zone": "Mars/Olympus"})
    assert bad.status_code == 200
    assert Employee.objects.get(user__username="staff").time_zone == "Europe/London"


def test_executive_without_totp_is_sent_to_enrol(client_as, users):
    Authenticator.objects.filter(user=users["vp"]).delete()
    response = client_as("vp").get("/org/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"


def test_enrolled_executive_passes(client_as):
    assert client_as("vp").get("/org/").status_code == 200


def test_password_login_of_an_enrolled_executive_stops_at_the_totp_step(client, demo_org):
    response = client.post("/accounts/login/", {"login": "vp", "password": "keel-demo"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/org/").status_code == 302  # not logged in until the code is given


def test_wrong_password_is_refused_with_a_message(client, demo_org):
    response = client.post("/accounts/login/", {"login": "manager", "password": "nope"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_repeated_failures_lock_the_account_out(client, demo_org):
    for _ in range(5):
        client.post("/accounts/login/", {"login": "manager", "password": "nope"})
    response = client.post("/accounts/login/", {"login": "manager", "password": "keel-demo"})
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 429)


def test_healthz_reports_a_stale_tick_as_503(client, db):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["tick"]["ok"] is False
    Heartbeat.objects.create(name="tick", at=timezone.now())
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["database"]["ok"] is True
    Heartbeat.objects.filter(name="tick").update(at=timezone.now() - timedelta(minutes=5))
    assert client.get("/healthz").status_code == 503


def test_tick_records_the_heartbeat(db):
    from hrcore.tasks import tick

    tick.delay()
    assert Heartbeat.objects.get(name="tick").at > timezone.now() - timedelta(seconds=5)


def test_seed_demo_is_idempotent(db):
    call_command("seed_demo", stdout=io.StringIO())
    counts = (OrgUnit.objects.count(), Employee.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (OrgUnit.objects.count(), Employee.objects.count()) == counts
    assert counts[1] >= 40
    for function in [
        "business",
        "finance",
        "legal",
        "administration",
        "hr",
        "customer_service",
        "executive",
    ]:
        assert OrgUnit.objects.filter(function=function, parent__code="sh").count() == 1
        assert OrgUnit.objects.filter(function=function, parent__code="sz").count() == 1


def test_seed_demo_refuses_production_settings(db, settings):
    from crisis.models import Crisis
    from integrations.models import Partner

    def counts():
        # the demo world of the tests has no demo partners or crises: seed_demo would add them
        return (Employee.objects.count(), Partner.objects.count(), Crisis.objects.count())

    settings.KEEL_DEMO_ALLOWED = False
    before = counts()
    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo")
    assert counts() == before


def test_demo_totp_prints_a_code_the_authenticator_accepts(demo_org, capsys):
    from allauth.mfa.totp.internal.auth import TOTP

    call_command("demo_totp", "vp")
    code = capsys.readouterr().out.strip()
    assert len(code) == 6 and code.isdigit()
    authenticator = Authenticator.objects.get(user__username="vp", type=Authenticator.Type.TOTP)
    assert TOTP(authenticator).validate_code(code) is True


def test_admin_refuses_a_unit_cycle_with_a_message(client_as):
    sh = OrgUnit.objects.get(code="sh")
    dept = OrgUnit.objects.get(code="sh-finance")
    client = client_as("hradmin")  # the demo HR admin is Django staff with the org permissions
    response = client.post(
        f"/admin/hrcore/orgunit/{sh.pk}/change/",
        {
            "code": "sh",
            "name_zh": sh.name_zh,
            "name_en": sh.name_en,
            "kind": "subsidiary",
            "function": "",
            "parent": dept.pk,
            "time_zone": "Asia/Shanghai",
            "employees-TOTAL_FORMS": 0,
            "employees-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert "单位不能挂在自身或其下级单位之下。" in response.content.decode()
    assert OrgUnit.objects.get(code="sh").parent.code == "demo-group"


def test_only_hr_admins_reach_the_admin(client_as):
    assert client_as("staff").get("/admin/hrcore/employee/").status_code == 302  # to admin login
    assert client_as("manager").get("/admin/hrcore/employee/").status_code == 302
    response = client_as("hradmin").get("/admin/hrcore/employee/?q=陈静")
    assert response.status_code == 200
    assert "陈静" in response.content.decode()


def test_staff_cannot_change_org_data_through_the_admin(client_as):
    sh = OrgUnit.objects.get(code="sh")
    response = client_as("staff").post(
        f"/admin/hrcore/orgunit/{sh.pk}/change/", {"name_en": "Hacked"}
    )
    assert response.status_code == 302
    assert OrgUnit.objects.get(code="sh").name_en == "Shanghai Co."
