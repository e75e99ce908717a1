"""Per-user language and time zone; the second factor per session for executives, HR admins
and admin users; the session inactivity limit."""

from __future__ import annotations

import time
import zoneinfo
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone, translation

from .security import (
    LAST_SEEN_REFRESH_SECONDS,
    LAST_SEEN_SESSION_KEY,
    mfa_required,
    session_passed_mfa,
)
from .selectors import employee_of


class UserPreferencesMiddleware:
    """Activate the language and time zone stored on the employee (after LocaleMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        employee = employee_of(request.user) if hasattr(request, "user") else None
        if employee is not None:
            translation.activate(employee.language)
            request.LANGUAGE_CODE = employee.language
            try:
                timezone.activate(zoneinfo.ZoneInfo(employee.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        response = self.get_response(request)
        if employee is not None:
            response.headers.setdefault("Content-Language", employee.language)
        return response


class RequireMfaMiddleware:
    """Executives, HR admins and admin users reach nothing but the second-factor pages until
    *this session* passed TOTP (``hrcore.security``): enrolled users are sent to enter a code
    (allauth's re-authentication), the others to enrol. Being enrolled is not enough: a session
    opened without the code (Django's admin log-in, ``login()`` from any other path) stays shut.

    The API is left to DRF: bearer tokens carry no session, and session authentication there
    refuses the same sessions (``hrcore.api.authentication.MfaSessionAuthentication``)."""

    open_prefixes = ("/static/", "/healthz", "/i18n/", "/api/")
    # What a session still waiting for its second factor may open (by allauth URL name).
    open_views = {
        "account_login",
        "account_logout",
        "account_reauthenticate",
        "mfa_authenticate",
        "mfa_reauthenticate",
    }
    enrolment_views = {"mfa_activate_totp", "mfa_view_recovery_codes"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if request.path.startswith(self.open_prefixes) or not mfa_required(user):
            return self.get_response(request)
        from allauth.mfa.models import Authenticator

        enrolled = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        if enrolled and session_passed_mfa(request):
            return self.get_response(request)
        view_name = _url_name(request.path_info)
        if view_name in self.open_views or (not enrolled and view_name in self.enrolment_views):
            return self.get_response(request)
        if not enrolled:
            return redirect("mfa_activate_totp")
        target = reverse("mfa_reauthenticate")
        return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")


def _url_name(path: str) -> str | None:
    try:
        return resolve(path).url_name
    except Resolver404:
        return None


class SessionLifetimeMiddleware:
    """End a session after ``SESSION_COOKIE_AGE`` without a request (8 hours). The session is
    re-saved at most every few minutes so its expiry moves with activity without a write per
    request; the stored last-seen time is also checked here, whatever the session engine."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and request.user.is_authenticated:
            now = time.time()
            last_seen = session.get(LAST_SEEN_SESSION_KEY)
            if isinstance(last_seen, int | float) and now - last_seen > settings.SESSION_COOKIE_AGE:
                logout(request)
            elif not isinstance(last_seen, int | float) or (
                now - last_seen > LAST_SEEN_REFRESH_SECONDS
            ):
                session[LAST_SEEN_SESSION_KEY] = now
        return self.get_response(request)
