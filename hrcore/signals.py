"""Glue from Django's and allauth's auth events to the services (no business logic here)."""

from __future__ import annotations

import time

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save
from django.dispatch import receiver

from .security import LAST_SEEN_SESSION_KEY, mfa_required, record_mfa_for_session
from .services import org, sessions, tokens


@receiver(user_logged_in, dispatch_uid="keel_session_on_login")
def session_on_login(sender, request, user, **kwargs) -> None:
    """Executives', HR admins' and admin users' sessions end when the browser closes (and for
    everyone after 8 idle hours); every session is remembered for "log out everywhere"."""
    session = getattr(request, "session", None)
    if session is None:
        return
    if mfa_required(user):
        session.set_expiry(0)
    session[LAST_SEEN_SESSION_KEY] = time.time()
    if session.session_key is None:
        session.save()
    sessions.login_session_record(user=user, session_key=session.session_key)


def _mfa_on_enrolment(sender, request, user, authenticator, **kwargs) -> None:
    """Activating TOTP means typing a valid code: this session passed the second factor."""
    if request is not None and authenticator.type == authenticator.Type.TOTP:
        record_mfa_for_session(request, user, id=authenticator.pk, type=authenticator.type)


@receiver(user_logged_in, dispatch_uid="keel_language_on_login")
def language_on_login(sender, request, user, **kwargs) -> None:
    """A language chosen on the log-in page (the language cookie) is kept after logging in,
    where the stored preference used to take over again."""
    from django.conf import settings

    cookies = getattr(request, "COOKIES", None) or {}
    chosen = cookies.get(settings.LANGUAGE_COOKIE_NAME)
    employee = getattr(user, "employee", None)
    if chosen in dict(settings.LANGUAGES) and employee is not None and employee.language != chosen:
        org.user_preferences_update(user=user, language=chosen)


@receiver(post_save, sender=get_user_model(), dispatch_uid="keel_tokens_on_deactivation")
def tokens_on_deactivation(sender, instance, **kwargs) -> None:
    if not instance.is_active and instance.api_tokens.filter(revoked_at__isnull=True).exists():
        tokens.api_tokens_revoke_for_user(user=instance, reason="user deactivated")


def connect() -> None:
    from allauth.mfa.signals import authenticator_added

    authenticator_added.connect(_mfa_on_enrolment, dispatch_uid="keel_mfa_on_enrolment")
