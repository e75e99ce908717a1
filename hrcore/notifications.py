"""Notification kinds of hrcore itself (``hrcore.notification_kinds``): the escalation
ladder's last step, which tells a person's manager."""

from __future__ import annotations

from django.utils.translation import gettext as _

from .notification_kinds import local, register

register(
    "reach.manager",
    subject=lambda p: (
        _("%(name)s has not acknowledged: %(about)s")
        % {"name": local(p.get("name")), "about": local(p.get("about"))}
    ),
    example={
        "name": {"zh": "王伟", "en": "Wang Wei"},
        "about": {"zh": "新任务：财务记录", "en": "New task: finance records"},
    },
)

from . import selfservice_notifications  # noqa: E402, F401  self-service kinds (issue 17 §2)
