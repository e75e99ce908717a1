"""Issue 10, items 1, 2, 3 and 11, attacked through the real paths: the second factor is checked
per session on every door (pages, admin, API session auth); log-in lock-out per account and per
(IP, account); API tokens with a fixed owner, an expiry, revocation and an audit trail; session
lifetime and "log out everywhere"."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from auditlog.models import LogEntry
from django.contrib.auth import SESSION_KEY
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from hrcore.models import ApiToken, OrgUnit
from hrcore.services import org, tokens
from tests.conftest import pass_second_factor, totp_code

pytestmark = pytest.mark.django_db

PASSWORD = "keel-demo"
# What a password-only session of an HR admin must not open (every page family, the admin).
GUARDED_PAGES = [
    "/",
    "/org/",
    "/maps/",
    "/crises/",
    "/crises/dashboard/",
    "/integrations/offboarding/",
    "/preferences/",
    "/admin/",
    "/admin/hrcore/apitoken/",
    "/admin/integrations/partner/",
]


def logged_in_as(client) -> int | None:
    value = client.session.get(SESSION_KEY)
    return int(value) if value is not None else None


def login_with_password(client: Client, username: str, password: str = PASSWORD, **extra):
    return client.post(
        "/accounts/login/", {"login": username, "password": password}, **extra, follow=False
    )


# --- 1. Two-factor on every login path -----------------------------------------------------


def test_admin_login_with_the_password_alone_logs_nobody_in(users):
    """The attack: hradmin's password at /admin/login/ opened every page without TOTP."""
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "hradmin", "password": PASSWORD, "next": "/admin/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    assert logged_in_as(client) is None
    for path in GUARDED_PAGES:
        page = client.get(path)
        assert page.status_code == 302, path
        assert page["Location"].startswith(("/accounts/login/", "/admin/login/")), path


def test_a_password_only_session_reaches_nothing_that_needs_the_second_factor(users):
    """A session opened without the TOTP step (any path that calls ``login()``) is refused on
    pages, the admin and the API, although the account is enrolled."""
    hradmin = users["hradmin"]
    assert Authenticator.objects.filter(user=hradmin, type="totp").exists()
    client = Client()
    client.force_login(hradmin)
    for path in GUARDED_PAGES:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/2fa/reauthenticate/?next="), path
    api = client.get("/api/v1/org-units/")
    assert api.status_code == 403
    assert api.json()["code"] == "permission_denied"
    before = OrgUnit.objects.count()
    write = client.post(
        "/api/v1/org-units/",
        {"code": "x-unit", "name_zh": "x", "name_en": "x", "kind": "department"},
        content_type="application/json",
    )
    assert write.status_code == 403
    assert OrgUnit.objects.count() == before
    # the admin site itself refuses the session too (not only the middleware in front of it)
    from django.contrib import admin
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = hradmin
    request.session = client.session
    assert admin.site.has_permission(request) is False


def test_the_code_opens_the_session_and_the_admin_login_comes_back_to_the_admin(users):
    client = Client()
    start = client.get("/admin/login/?next=/admin/hrcore/apitoken/")
    assert start["Location"] == "/accounts/login/?next=%2Fadmin%2Fhrcore%2Fapitoken%2F"
    response = client.post(
        "/accounts/login/",
        {"login": "hradmin", "password": PASSWORD, "next": "/admin/hrcore/apitoken/"},
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    assert client.get("/admin/hrcore/apitoken/").status_code == 302  # not yet
    done = client.post("/accounts/2fa/authenticate/", {"code": totp_code(users["hradmin"])})
    assert done.status_code == 302
    assert done["Location"] == "/admin/hrcore/apitoken/"
    assert client.get("/admin/hrcore/apitoken/").status_code == 200
    assert client.get("/crises/dashboard/").status_code == 200
    assert client.get("/api/v1/org-units/").status_code == 200


def test_a_password_only_session_can_be_completed_with_the_code(users):
    client = Client()
    client.force_login(users["vp"])
    assert client.get("/crises/dashboard/").status_code == 302
    response = client.post(
        "/accounts/2fa/reauthenticate/?next=/crises/dashboard/", {"code": totp_code(users["vp"])}
    )
    assert response.status_code == 302
    assert client.get("/crises/dashboard/").status_code == 200


def test_people_without_the_mfa_duty_are_not_asked(users):
    client = Client()
    client.force_login(users["manager"])
    assert client.get("/crises/").status_code == 200
    assert client.get("/api/v1/org-units/").status_code == 200


def test_a_non_staff_user_at_the_admin_login_is_refused_not_looped(users):
    client = Client(raise_request_exception=False)
    client.force_login(users["manager"])
    assert client.get("/admin/login/?next=/admin/").status_code == 403
    assert client.get("/admin/login/?next=https://evil.example/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_enrolling_totp_counts_as_this_sessions_second_factor(demo_org):
    """An HR admin without TOTP is sent to enrol; typing the first code opens the session (the
    enrolment signal records the factor after commit, as the log-in step would)."""
    from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
    from django.contrib.auth import get_user_model

    hradmin = get_user_model().objects.get(username="hradmin")
    Authenticator.objects.filter(user=hradmin).delete()
    client = Client()
    login_with_password(client, "hradmin")
    assert logged_in_as(client) == hradmin.pk
    assert client.get("/crises/")["Location"] == "/accounts/2fa/totp/activate/"
    # allauth asks for the password again before enrolment (open to the pending session)
    assert client.get("/accounts/2fa/totp/activate/")["Location"].startswith(
        "/accounts/reauthenticate/"
    )
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert client.get("/crises/").status_code == 302  # a password is no second factor
    assert client.get("/accounts/2fa/totp/activate/").status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    response = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret=secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=hradmin, type="totp").exists()
    assert client.get("/crises/").status_code == 200


# --- 2. Log-in throttling ------------------------------------------------------------------


def test_forty_wrong_passwords_then_the_right_one_does_not_log_in(users):
    client = Client()
    for _ in range(40):
        response = login_with_password(client, "manager", "wrong-password")
        assert logged_in_as(client) is None
    response = login_with_password(client, "manager")
    assert response.status_code == 200
    assert logged_in_as(client) is None
    text = response.content.decode()
    # says so, and says when (default language zh-Hans)
    assert "该账户因登录失败次数过多已被锁定" in text
    assert "分钟后" in text
    english = login_with_password(client, "manager", HTTP_ACCEPT_LANGUAGE="en")
    text = english.content.decode()
    assert "This account is locked after too many failed log-ins. Try again in" in text
    assert logged_in_as(client) is None


def test_forty_wrong_passwords_at_the_admin_login_then_the_right_one_does_not_log_in(users):
    client = Client()
    for _ in range(40):
        client.post("/admin/login/", {"username": "hradmin", "password": "wrong-password"})
    response = client.post("/admin/login/", {"username": "hradmin", "password": PASSWORD})
    assert logged_in_as(client) is None
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 302


def test_failures_from_one_ip_do_not_lock_out_other_people_behind_the_same_nat(users):
    office = {"REMOTE_ADDR": "203.0.113.7"}
    for _ in range(10):
        login_with_password(Client(), "manager", "wrong-password", **office)
    colleague = Client()
    response = login_with_password(colleague, "finance", **office)
    assert response.status_code == 302
    assert logged_in_as(colleague) == users["finance"].pk


def test_an_ip_account_pair_is_locked_before_the_account_itself(users):
    attacker = {"REMOTE_ADDR": "198.51.100.9"}
    for _ in range(5):
        login_with_password(Client(), "manager", "wrong-password", **attacker)
    blocked = Client()
    response = login_with_password(blocked, "manager", **attacker)
    assert logged_in_as(blocked) is None
    assert "该账户因登录失败次数过多已被锁定" in response.content.decode()
    owner = Client()
    login_with_password(owner, "manager", REMOTE_ADDR="192.0.2.44")
    assert logged_in_as(owner) == users["manager"].pk


# --- 3. API tokens -------------------------------------------------------------------------


def test_the_admin_cannot_point_a_token_at_another_user(users):
    """The attack: hradmin's token re-pointed at ``vp`` in the admin acted as the VP."""
    token, key = tokens.api_token_issue(user=users["hradmin"], scopes=["read", "write"])
    admin = Client()
    admin.force_login(users["hradmin"])
    pass_second_factor(admin, users["hradmin"])
    url = f"/admin/hrcore/apitoken/{token.pk}/change/"
    page = admin.get(url)
    assert page.status_code == 200
    assert 'name="user"' not in page.content.decode()
    admin.post(
        url,
        {"user": users["vp"].pk, "name": "turned", "scopes": '["*"]', "revoked_at": ""},
    )
    token.refresh_from_db()
    assert token.user_id == users["hradmin"].pk
    assert token.name == ""
    assert token.scopes == ["read", "write"]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get("/api/v1/org-units/").wsgi_request.user == users["hradmin"]
    # and no path can do it: the model refuses a new owner
    token.user = users["vp"]
    with pytest.raises(ValueError):
        token.save()
    assert ApiToken.objects.get(pk=token.pk).user_id == users["hradmin"].pk
    # no add or delete in the admin: tokens are issued by the command and revoked, never erased
    assert admin.get("/admin/hrcore/apitoken/add/").status_code == 403
    delete = admin.post(f"/admin/hrcore/apitoken/{token.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 403
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_the_admin_revokes_a_token_and_the_audit_log_says_who(users):
    token, key = tokens.api_token_issue(user=users["manager"], scopes=["read"])
    admin = Client()
    admin.force_login(users["hradmin"])
    pass_second_factor(admin, users["hradmin"])
    response = admin.post(
        "/admin/hrcore/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get("/api/v1/org-units/").status_code == 401
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(ApiToken), object_pk=str(token.pk)
    ).order_by("timestamp", "id")
    assert [e.action for e in entries] == [LogEntry.Action.CREATE, LogEntry.Action.UPDATE]
    assert entries[0].changes_dict["user"] == [None, "manager"]
    assert entries[1].actor == users["hradmin"]
    assert entries[1].additional_data == {"reason": "admin"}


def test_a_token_expires_after_ninety_days_by_default(users):
    token, key = tokens.api_token_issue(user=users["manager"], scopes=["read"])
    assert token.expires_at - token.created_at == timedelta(days=90)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    with time_machine.travel(token.created_at + timedelta(days=89), tick=False):
        assert api.get("/api/v1/org-units/").status_code == 200
    with time_machine.travel(token.created_at + timedelta(days=90, seconds=1), tick=False):
        response = api.get("/api/v1/org-units/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert response.json()["detail"].startswith("This token expired on ")


def test_issue_api_token_shows_the_expiry_and_refuses_unknown_scopes(users):
    import io

    from django.core.management import CommandError, call_command

    err = io.StringIO()
    call_command("issue_api_token", "manager", "--scopes", "read", stdout=io.StringIO(), stderr=err)
    assert "expires 20" in err.getvalue()
    before = ApiToken.objects.count()
    with pytest.raises(CommandError):
        call_command("issue_api_token", "manager", "--scopes", "everything", stdout=io.StringIO())
    assert ApiToken.objects.count() == before


def test_tokens_are_revoked_when_the_employee_leaves(users):
    staff = users["staff"]
    token, key = tokens.api_token_issue(user=staff, scopes=["read"])
    employee = staff.employee
    employee.is_active = False
    org.employee_save(employee=employee, actor=users["hradmin"])
    token.refresh_from_db()
    assert token.revoked_at is not None
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get("/api/v1/org-units/").status_code == 401
    entry = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(ApiToken),
        object_pk=str(token.pk),
        action=LogEntry.Action.UPDATE,
    ).get()
    assert entry.additional_data == {"reason": "employee left"}
    assert entry.actor == users["hradmin"]


def test_tokens_are_revoked_when_the_user_is_deactivated(users):
    user = users["finance"]
    token, _key = tokens.api_token_issue(user=user)
    user.is_active = False
    user.save()
    token.refresh_from_db()
    assert token.revoked_at is not None
    user.is_active = True
    user.save()
    token.refresh_from_db()
    assert token.revoked_at is not None  # reactivating does not bring a token back


def test_the_schema_documents_what_each_scope_grants(users, api_as):
    schema = api_as("manager").get("/api/schema/", {"format": "json"}).json()
    bearer = schema["components"]["securitySchemes"]["bearerAuth"]
    for scope in ("read", "write", "crisis:file", "webhooks", "evidence:write"):
        assert f"`{scope}`" in bearer["description"]
    crises = schema["paths"]["/api/v1/crises/"]
    assert crises["post"]["x-token-scopes"] == ["crisis:file", "crisis:drill", "write"]
    assert crises["get"]["x-token-scopes"] == ["read"]
    assert (
        "Token scopes: `crisis:file` or `crisis:drill` or `write`." in crises["post"]["description"]
    )
    evidence = schema["paths"]["/api/v1/competency-evidence/"]["post"]
    assert evidence["x-token-scopes"] == ["evidence:write", "write"]
    webhook = schema["paths"]["/api/v1/integrations/webhooks/{partner}/"]["post"]
    assert "x-token-scopes" not in webhook  # signed by the partner, no token


def test_a_token_shows_its_owner_scopes_and_expiry_in_the_api_and_on_the_preferences_page(
    users, client_as
):
    token, key = tokens.api_token_issue(user=users["manager"], scopes=["crisis:file"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    body = api.get("/api/v1/token/").json()
    assert body["user"] == "manager"
    assert body["scopes"] == ["crisis:file"]
    assert body["prefix"] == token.prefix
    assert body["expires_at"].startswith(timezone.localtime(token.expires_at).date().isoformat())
    assert "key" not in body and "key_hash" not in body
    page = client_as("manager").get("/preferences/").content.decode()
    assert token.prefix in page
    assert timezone.localtime(token.expires_at).strftime("%Y-%m-%d") in page


# --- 11. Sessions --------------------------------------------------------------------------


def test_executive_sessions_end_at_browser_close_and_staff_sessions_after_eight_idle_hours(
    users, settings
):
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    vp = Client()
    # "remember me" does not keep an executive's session past the browser
    vp.post("/accounts/login/", {"login": "vp", "password": PASSWORD, "remember": "on"})
    vp.post("/accounts/2fa/authenticate/", {"code": totp_code(users["vp"])})
    assert logged_in_as(vp) == users["vp"].pk
    assert vp.session.get_expire_at_browser_close() is True
    manager = Client()
    manager.post("/accounts/login/", {"login": "manager", "password": PASSWORD, "remember": "on"})
    assert manager.session.get_expire_at_browser_close() is False
    start = timezone.now()
    with time_machine.travel(start + timedelta(hours=7), tick=False):
        assert manager.get("/crises/").status_code == 200  # activity moves the limit
    with time_machine.travel(start + timedelta(hours=14), tick=False):
        assert manager.get("/crises/").status_code == 200
    with time_machine.travel(start + timedelta(hours=22, minutes=1), tick=False):
        response = manager.get("/crises/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_log_out_everywhere_ends_every_session_of_the_user_and_nothing_else(users):
    laptop, phone, colleague = Client(), Client(), Client()
    for client in (laptop, phone):
        login_with_password(client, "manager")
    login_with_password(colleague, "finance")
    token, key = tokens.api_token_issue(user=users["manager"], scopes=["read"])
    page = laptop.get("/preferences/", HTTP_ACCEPT_LANGUAGE="en")
    assert 'data-testid="logout-everywhere"' in page.content.decode()
    # without the confirmation nothing ends
    laptop.post("/preferences/logout-everywhere/", {})
    assert phone.get("/crises/").status_code == 200
    assert logged_in_as(laptop) == users["manager"].pk
    response = laptop.post("/preferences/logout-everywhere/", {"confirm": "yes"})
    assert response.status_code == 302
    for client in (laptop, phone):
        assert client.get("/crises/").status_code == 302
    from hrcore.models import LoginSession

    assert not LoginSession.objects.filter(user=users["manager"]).exists()
    assert colleague.get("/crises/").status_code == 200
    token.refresh_from_db()
    assert token.revoked_at is None
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get("/api/v1/org-units/").status_code == 200


def test_the_preferences_page_offers_log_out_everywhere_in_both_languages(client_as, users):
    client = client_as("manager")
    zh = client.get("/preferences/").content.decode()
    assert "在所有设备上退出登录" in zh
    org.user_preferences_update(user=users["manager"], language="en")
    en = client.get("/preferences/").content.decode()
    assert "Log out everywhere" in en


def test_production_settings_keep_every_gate_and_check_deploy_is_clean(tmp_path):
    """The gates live in the base settings; production must not drop them (the review found the
    password-only admin log-in "also with production settings")."""
    import os
    import secrets
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hrcore.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "keel.example.com",
        "KEEL_DATA_DIR": str(tmp_path),
    }
    for name in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"):  # the latter: browser tests
        env.pop(name, None)
    probe = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print('hrcore.middleware.RequireMfaMiddleware' in s.MIDDLEWARE, "
        "'hrcore.middleware.SessionLifetimeMiddleware' in s.MIDDLEWARE, "
        "s.REST_FRAMEWORK['DEFAULT_AUTHENTICATION_CLASSES'][-1], "
        "s.REST_FRAMEWORK['DEFAULT_PERMISSION_CLASSES'][0], s.SESSION_COOKIE_AGE, "
        "s.ACCOUNT_RATE_LIMITS['login_failed_ip_account'])"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=root, env=env, capture_output=True, text=True
    )
    assert out.stdout.split() == [
        "True",
        "True",
        "hrcore.api.authentication.MfaSessionAuthentication",
        "hrcore.api.permissions.ScopedPermission",
        "28800",
        "5/5m/key",
    ], out.stderr
    check = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr
    assert "System check identified no issues" in check.stdout
