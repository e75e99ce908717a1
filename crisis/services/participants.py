"""Inviting someone outside the usual scope onto one crisis (a django-guardian grant)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm

from hrcore.services.notifications import notification_send

from .. import events
from ..models import (
    Crisis,
)
from .common import crisis_link, drill_marked, require_manager


@transaction.atomic
def crisis_invite(*, crisis: Crisis, user: AbstractBaseUser, actor) -> None:
    """A one-off grant (django-guardian) for someone outside the usual scope, e.g. outside
    counsel on one crisis."""

    require_manager(
        actor, crisis, refusal=_("Only the crisis owner, managers and executives can invite.")
    )
    assign_perm("crisis.view_crisis", user, crisis)
    events.participant_invited_event(crisis=crisis, actor=actor, user_id=user.pk)
    notification_send(
        recipient=user,
        kind="crisis.invited",
        params=drill_marked(crisis, {"crisis_title": crisis.title}),
        link=crisis_link(crisis.pk),
        data={"crisis_id": crisis.pk},
        dedupe_key=f"crisis:{crisis.pk}:invited:{user.pk}",
    )
