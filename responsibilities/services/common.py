"""What every write of the app shares: the HR-admin guard, the audit entry, input limits."""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.utils.translation import gettext as _

from hrcore.errors import PermissionDenied
from hrcore.field_names import message_for

from ..selectors import can_edit_maps

SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]+$")
MAX_TEXT = 4000
MAX_TITLE = 200
MAX_LIST_ITEMS = 30
MAX_ITEM_LENGTH = 200


def require_hr_admin(actor) -> None:
    """Refuse anyone but an HR admin (or a partner system); ``None`` is the system itself."""
    # ``actor=None`` is the system itself (seed data, management commands).
    if actor is not None and not can_edit_maps(actor):
        raise PermissionDenied(_("Only HR admins may change scenarios and responsibility maps."))


def first_problem(summary: str, errors: Mapping[str, str]) -> str:
    """A message that names the first problem, so a single line is already useful (its text
    only: the field key, e.g. ``duties[1].deadline_minutes``, is for programs, in ``errors``)."""
    if not errors:
        return summary
    key, value = next(iter(errors.items()))
    return f"{summary} {message_for(key, value)}"
