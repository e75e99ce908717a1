"""``Authorization: Bearer <token>`` for partner systems (tokens stored hashed, with an owner fixed
at creation, an expiry and scopes); browser sessions only once they passed the second factor."""

from __future__ import annotations

from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from hrcore.models import ApiToken
from hrcore.scopes import SCOPE_DESCRIPTIONS
from hrcore.security import session_mfa_satisfied


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Malformed Authorization header: use “Bearer <token>”.")
            )
        try:
            key = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("The token contains invalid characters."))
        token = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=ApiToken.hash_key(key), revoked_at__isnull=True)
            .first()
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        now = timezone.now()
        if token.is_expired:
            raise exceptions.AuthenticationFailed(
                _("This token expired on %(date)s: ask for a new one.")
                % {"date": formats.date_format(timezone.localtime(token.expires_at), "Y-m-d")}
            )
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


class MfaSessionAuthentication(authentication.SessionAuthentication):
    """The browser's session, refused while an executive's, HR admin's or admin user's session
    has not passed the second factor (the same rule as the pages, ``hrcore.security``)."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None and not session_mfa_satisfied(request._request, result[0]):
            raise exceptions.PermissionDenied(
                _("This session has not passed two-factor authentication: enter your code first.")
            )
        return result


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "hrcore.api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": scopes_description()}


class MfaSessionScheme(SessionScheme):
    """The browser session (``cookieAuth``), as for DRF's own session authentication."""

    target_class = "hrcore.api.authentication.MfaSessionAuthentication"


def scopes_description() -> str:
    lines = [
        "`Authorization: Bearer <token>`. A token belongs to one user for life, expires (90 days "
        "by default) and carries scopes; each operation names the scopes that admit it "
        "(`x-token-scopes`, any one of them suffices). A token without scopes is unrestricted.",
        "",
    ]
    lines += [f"* `{scope}`: {text}" for scope, text in SCOPE_DESCRIPTIONS.items()]
    return "\n".join(lines)
