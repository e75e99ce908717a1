"""One error hierarchy for every app, mapped once to HTTP errors (see ``hrcore.api.errors``)."""

from __future__ import annotations

from typing import Any


class KeelError(Exception):
    """Base of every domain error: carries an HTTP status, a stable code and a readable message."""

    status = 400
    code = "invalid"

    def __init__(
        self, message: str, *, errors: dict[str, Any] | None = None, code: str | None = None
    ):
        super().__init__(str(message))
        self.message = str(message)
        self.errors = errors or {}
        if code:
            self.code = code


class ValidationFailed(KeelError):
    """Bad input: 400 with per-field messages in ``errors``."""

    status = 400
    code = "invalid"


class PermissionDenied(KeelError):
    status = 403
    code = "permission_denied"


class NotFound(KeelError):
    status = 404
    code = "not_found"


class Conflict(KeelError):
    """The request is valid but contradicts the current state (already done, replayed key...)."""

    status = 409
    code = "conflict"


class AssigneeNotFound(KeelError):
    """Nobody holds the function or position in the unit or any unit above it."""

    status = 400
    code = "assignee_not_found"
