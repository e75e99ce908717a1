"""API permissions shared by every app."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from hrcore.models import ApiToken
from hrcore.selectors import has_role


def token_scope_allows(request, scope: str) -> bool:
    """Session users have no token; a token restricted to scopes must include ``scope``."""
    token = request.auth
    return not isinstance(token, ApiToken) or token.has_scope(scope)


class ReadOnlyOrHrAdmin(BasePermission):
    """Everyone logged in reads; HR admins (and tokens with the ``write`` scope) write."""

    message = _("Only HR admins may change this.")

    def has_permission(self, request, view):
        if not request.user.is_authenticated:
            return False
        if request.method in SAFE_METHODS:
            return token_scope_allows(request, "read")
        return has_role(request.user, "hr_admin") and token_scope_allows(request, "write")


class ScopedPermission(BasePermission):
    """Logged in; a token restricted to scopes needs ``read`` for safe methods and ``write``
    for the others. Who may do what to which object is decided by services and selectors."""

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        return token_scope_allows(request, "read" if request.method in SAFE_METHODS else "write")


class ReadScope(BasePermission):
    """Logged in, and a scoped token includes ``read`` (whatever the method)."""

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated) and token_scope_allows(
            request, "read"
        )
