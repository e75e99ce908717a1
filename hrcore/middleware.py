"""Per-user language and time zone; MFA enrolment enforced for executives and HR admins."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.shortcuts import redirect
from django.utils import timezone, translation

from .selectors import employee_of, role_names


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
    """Executives and HR admins must enrol TOTP before they reach any page but the enrolment
    itself (allauth then asks for the code at every log-in). The API (token auth) is exempt."""

    allowed_prefixes = ("/accounts/", "/static/", "/healthz", "/api/", "/i18n/", "/preferences/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(self.allowed_prefixes)
            and role_names(user) & set(settings.KEEL_MFA_REQUIRED_GROUPS)
        ):
            from allauth.mfa.models import Authenticator

            if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
                return redirect("mfa_activate_totp")
        return self.get_response(request)
