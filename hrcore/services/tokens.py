"""Partner-API tokens: issuing and revoking."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import timedelta

from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..errors import ValidationFailed
from ..models import (
    API_TOKEN_LIFETIME,
    ApiToken,
)

User = get_user_model()


# --- API tokens ----------------------------------------------------------------------------


@transaction.atomic
def api_token_issue(
    *,
    user: User,
    scopes: Iterable[str] = (),
    name: str = "",
    expires_in_days: int | None = None,
    actor: User | None = None,
) -> tuple[ApiToken, str]:
    """Create a token and return it with its clear text (shown once, never stored). It belongs
    to ``user`` for life and expires after ``expires_in_days`` (default 90)."""
    from ..api.permissions import SCOPES

    scopes = sorted(set(scopes))
    unknown = sorted(set(scopes) - {*SCOPES, "*"})
    if unknown:
        raise ValidationFailed(
            _("Unknown scope(s): %(unknown)s. Known: %(known)s.")
            % {"unknown": ", ".join(unknown), "known": ", ".join(SCOPES)},
            errors={"scopes": _("Unknown scope.")},
        )
    if not user.is_active:
        raise ValidationFailed(
            _("%(username)s is deactivated and cannot hold a token.") % {"username": user},
            errors={"user": _("Deactivated.")},
        )
    if expires_in_days is not None and not 1 <= expires_in_days <= 366:
        raise ValidationFailed(
            _("A token lives between 1 and 366 days."),
            errors={"expires_in_days": _("Out of range.")},
        )
    key = "keel_" + secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        key_hash=ApiToken.hash_key(key),
        prefix=key[:10],
        scopes=scopes,
        created_at=now,
        expires_at=now
        + (timedelta(days=expires_in_days) if expires_in_days else API_TOKEN_LIFETIME),
    )
    LogEntry.objects.log_create(
        token,
        action=LogEntry.Action.CREATE,
        changes={
            "user": [None, user.get_username()],
            "scopes": [None, token.scopes],
            "expires_at": [None, token.expires_at.isoformat()],
        },
        force_log=True,
        actor=actor,
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User | None = None, reason: str = "") -> bool:
    """Revoke one token (idempotent: False when it already was). Audited with the reason."""
    now = timezone.now()
    if not ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now):
        return False
    token.revoked_at = now
    LogEntry.objects.log_create(
        token,
        action=LogEntry.Action.UPDATE,
        changes={"revoked_at": [None, now.isoformat()]},
        force_log=True,
        actor=actor,
        additional_data={"reason": reason or "revoked"},
    )
    return True


@transaction.atomic
def api_tokens_revoke_for_user(*, user: User, actor: User | None = None, reason: str) -> int:
    """Revoke every live token of ``user`` (they left, or their account was deactivated)."""
    tokens = list(ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True))
    return sum(api_token_revoke(token=t, actor=actor, reason=reason) for t in tokens)
