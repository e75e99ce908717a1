"""Login sessions: recording and ending them."""

from __future__ import annotations

from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.auth import get_user_model

from ..models import (
    LoginSession,
)

User = get_user_model()


# --- Sessions ------------------------------------------------------------------------------


def login_session_record(*, user: User, session_key: str) -> None:
    """Remember a session the user logged in with (for "log out everywhere"), forgetting the
    user's sessions that have ended since (expired or logged out)."""
    from importlib import import_module

    store = import_module(settings.SESSION_ENGINE).SessionStore
    for row in LoginSession.objects.filter(user=user).exclude(session_key=session_key):
        if not store().exists(row.session_key):
            row.delete()
    if session_key:
        LoginSession.objects.get_or_create(session_key=session_key, defaults={"user": user})


def user_sessions_end_all(*, user: User) -> int:
    """End every browser session of ``user`` (tokens and everything else stay as they are).
    Returns how many sessions were ended."""
    from importlib import import_module

    store = import_module(settings.SESSION_ENGINE).SessionStore
    ended = 0
    for row in LoginSession.objects.filter(user=user):
        session = store(session_key=row.session_key)
        if session.exists(row.session_key):
            session.delete(row.session_key)
            ended += 1
        row.delete()
    LogEntry.objects.log_create(
        user,
        action=LogEntry.Action.ACCESS,
        changes={},
        force_log=True,
        actor=user,
        additional_data={"sessions_ended": ended, "reason": "log out everywhere"},
    )
    return ended
