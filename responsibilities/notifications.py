"""Responsibility-map notification kinds (``hrcore.notification_kinds``)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from hrcore.notification_kinds import local, register

register(
    "responsibility_map.published",
    subject=lambda p: (
        _(
            "Responsibility map “%(title)s” v%(version)s is published: your crisis duties were "
            "added or changed"
        )
        % {"title": local(p.get("title")), "version": p.get("version")}
    ),
    body=lambda p: _(
        "Please read what your position owes in this scenario: actions, deadlines, deliverables."
    ),
    example={"title": {"zh": "催收人员闯入", "en": "Debt-collection emergency"}, "version": 2},
)
