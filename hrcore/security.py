"""Who must pass a second factor, and whether *this session* did (ENGINEERING §3: trust per
session, not per account); the log-in lock-out; session lifetime rules.

The second factor is read from the record allauth keeps in the session
(``account_authentication_methods``): a session counts as MFA-passed only when allauth wrote an
``mfa`` entry for this very user in it (the TOTP step at log-in, a re-authentication with a code,
or the enrolment itself, which proves the code too). Being *enrolled* proves nothing about the
session: Django's admin log-in, ``force_login`` or any other path that calls ``login()`` without
allauth's stages leaves no such record.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from allauth.account.authentication import get_authentication_records
from django.conf import settings
from django.http import HttpRequest

from .selectors import role_names

# Sessions of MFA users also end when the browser closes; everyone's after this inactivity.
LAST_SEEN_SESSION_KEY = "keel_last_seen"
# The inactivity clock is refreshed at most this often (a session write per request is costly).
LAST_SEEN_REFRESH_SECONDS = 300


def mfa_required(user) -> bool:
    """Executives, HR admins and anyone who can open the Django admin must use TOTP."""
    if not (user and user.is_authenticated):
        return False
    if user.is_staff or user.is_superuser:
        return True
    return bool(role_names(user) & set(settings.KEEL_MFA_REQUIRED_GROUPS))


def session_passed_mfa(request: HttpRequest, user=None) -> bool:
    """Did *this session* pass the second factor for ``user`` (default: the request's user)?"""
    user = user or request.user
    records = get_authentication_records(request, user)
    return any(isinstance(r, dict) and r.get("method") == "mfa" for r in records)


def session_mfa_satisfied(request: HttpRequest, user=None) -> bool:
    """True when the user needs no second factor, or this session passed it."""
    user = user or request.user
    return not mfa_required(user) or session_passed_mfa(request, user)


def record_mfa_for_session(request: HttpRequest, user, **extra) -> None:
    """Write the record allauth writes after a TOTP step (used when a user enrols: entering the
    first code proves the factor for this session, as a log-in code would)."""
    from allauth.account.internal.flows.login import record_authentication

    record_authentication(request, user, "mfa", **extra)


# --- Log-in lock-out ----------------------------------------------------------------------


@dataclass(frozen=True)
class Lockout:
    """A refused log-in attempt: when the next one may succeed."""

    retry_at: float  # epoch seconds

    @property
    def minutes(self) -> int:
        return max(1, math.ceil((self.retry_at - time.time()) / 60))


def login_failure_keys(request: HttpRequest, account_key: str) -> list[tuple[str, str]]:
    """(allauth rate-limit action, key) pairs each failed password counts against: the account
    alone (``login_failed``) and this IP with this account (``login_failed_ip_account``). None is
    per IP alone, so a colleague's typos behind the same NAT never lock anyone else out."""
    from allauth.core.internal.ratelimit import get_ip

    return [
        ("login_failed_ip_account", f"{get_ip(request)}|{account_key}"),
        ("login_failed", account_key),
    ]


def lockout_for(request: HttpRequest, action: str, key: str) -> Lockout:
    """When the rate ``action`` that refused ``key`` lets the next attempt through: the moment
    its oldest counted failure leaves the window (allauth keeps a sliding window of timestamps,
    newest first)."""
    from allauth.core.internal import ratelimit
    from django.core.cache import cache

    candidates: list[float] = []
    for rate in ratelimit.get_rates(app="allauth.account", action=action):
        cache_key = ratelimit.get_cache_key(
            request, app="allauth.account", action=action, rate=rate, key=key
        )
        history = [ts for ts in cache.get(cache_key, []) if ts > time.time() - rate.duration]
        if len(history) >= rate.amount:
            candidates.append(history[rate.amount - 1] + rate.duration)
    return Lockout(retry_at=max(candidates) if candidates else time.time() + 60)
