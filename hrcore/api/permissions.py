"""API permissions shared by every app, and what each token scope admits.

A scope means exactly what its name says: every operation names the scopes that admit it
(``required_scopes``; a view overrides an action with ``token_scopes``), the permission classes
refuse a token that carries none of them, and the schema documents the same list per operation
(``x-token-scopes``). Session users have no token: for them only the role checks apply."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from hrcore.models import ApiToken
from hrcore.scopes import SCOPES
from hrcore.selectors import has_role

from ..choices import Role


def required_scopes(view, method: str) -> tuple[str, ...]:
    """The scopes of which a token needs one for ``method`` on ``view``."""
    action = getattr(view, "action", None)
    per_action = getattr(view, "token_scopes", None) or {}
    if action in per_action:
        return tuple(per_action[action])
    if method in SAFE_METHODS or action in getattr(view, "read_actions", ()):
        return ("read",)
    return ("write",)


def token_scope_allows(request, *scopes: str) -> bool:
    """Session users have no token; a token restricted to scopes must carry one of ``scopes``."""
    token = request.auth
    return not isinstance(token, ApiToken) or token.allows_any(scopes)


class ScopedPermission(BasePermission):
    """Logged in, and a scoped token carries a scope the operation admits (``required_scopes``:
    ``read`` for safe methods, ``write`` for the others unless the view says otherwise). Who may
    do what to which object is decided by services and selectors."""

    def scopes(self, view, method: str) -> tuple[str, ...]:
        return required_scopes(view, method)

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        return token_scope_allows(request, *self.scopes(view, request.method))


class ReadOnlyOrHrAdmin(ScopedPermission):
    """Everyone logged in reads; HR admins (and tokens with the ``write`` scope) write."""

    message = _("Only HR admins may change this.")

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        return request.method in SAFE_METHODS or has_role(request.user, Role.HR_ADMIN)


class ReadScope(ScopedPermission):
    """Logged in, and a scoped token includes ``read`` (whatever the method)."""

    def scopes(self, view, method: str) -> tuple[str, ...]:
        return ("read",)


class AnyScope(ScopedPermission):
    """Logged in; a token with any scope (introspection of the calling token)."""

    def scopes(self, view, method: str) -> tuple[str, ...]:
        return SCOPES


def operation_scopes(view, method: str) -> tuple[str, ...] | None:
    """What the schema documents for an operation: the scopes its permission admits, or None
    when it takes no token at all (signed webhooks)."""
    for permission in view.get_permissions():
        if hasattr(permission, "scopes"):
            return tuple(permission.scopes(view, method))
    if not view.get_authenticators():
        return None
    return required_scopes(view, method)
