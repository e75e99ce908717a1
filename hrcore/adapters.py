from datetime import UTC, datetime

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal import ratelimit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _

from .security import lockout_for, login_failure_keys


class KeelAccountAdapter(DefaultAccountAdapter):
    """Accounts are created by HR admins, not by self sign-up. Failed passwords are counted per
    account and per (IP, account), never per IP alone (see ``hrcore.security``)."""

    def is_open_for_signup(self, request) -> bool:
        return False

    def pre_authenticate(self, request, **credentials) -> None:
        # Replaces allauth's single ``login_failed`` count: every password check (log-in form,
        # re-authentication; the admin log-in redirects here) goes through this.
        account_key = self._get_login_attempts_cache_key(request, **credentials)
        usages = []
        for action, key in login_failure_keys(request, account_key):
            usage = ratelimit.consume(request, app="allauth.account", action=action, key=key)
            if not usage:
                for earlier in usages:
                    earlier.rollback()
                self._login_failed_rl_usage = None
                lockout = lockout_for(request, action, key)
                retry_at = timezone.localtime(datetime.fromtimestamp(lockout.retry_at, tz=UTC))
                raise forms.ValidationError(
                    _(
                        "This account is locked after too many failed log-ins. Try again in "
                        "%(minutes)s minutes (after %(time)s)."
                    )
                    % {"minutes": lockout.minutes, "time": retry_at.strftime("%H:%M")},
                    code="too_many_login_attempts",
                )
            usages.append(usage)
        self._login_failed_rl_usage = ratelimit.RateLimitUsage(
            usage=[single for usage in usages for single in usage.usage]
        )
