"""Reads for changing course (issue 15 §4): who takes part (to push updates to), invited
guests, related crises and link suggestions, the status-update cadence."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from guardian.models import UserObjectPermission

from hrcore.models import Employee

from ..choices import CrisisStatus
from ..drill_timing import crisis_drill_speed, drill_deadline
from ..models import DEFAULT_STATUS_CADENCE, Crisis, CrisisLink, StatusCadence, StatusUpdate
from .access import GRANT_CODENAMES, crises_visible_to

# Link suggestions: crises filed up to this long before or after this one.
LINK_CANDIDATE_WINDOW = timedelta(days=30)
LINK_CANDIDATE_LIMIT = 10


def invited_users(crisis: Crisis) -> list:
    """Accounts invited to this crisis (django-guardian grants), by user name."""
    content_type = ContentType.objects.get_for_model(Crisis)
    ids = UserObjectPermission.objects.filter(
        content_type=content_type,
        object_pk=str(crisis.pk),
        permission__codename__in=GRANT_CODENAMES,
    ).values("user_id")
    return list(get_user_model().objects.filter(pk__in=ids).order_by("username"))


def crisis_audience(crisis: Crisis) -> list:
    """Everyone a crisis update goes to: the participants (filer, assignees, escalation
    contacts, executives) and invited guests, active accounts only, each once."""
    employees = Employee.objects.filter(
        Q(crisis_participations__crisis=crisis) | Q(crisis_tasks__crisis=crisis),
        is_active=True,
        user__is_active=True,
    ).select_related("user")
    people = {e.user_id: e.user for e in employees}
    if crisis.filed_by_id and crisis.filed_by_id not in people:
        filer = get_user_model().objects.filter(pk=crisis.filed_by_id, is_active=True).first()
        if filer is not None:
            people[filer.pk] = filer
    for user in invited_users(crisis):
        if user.is_active:
            people.setdefault(user.pk, user)
    return [people[k] for k in sorted(people)]


def linked_crises(crisis: Crisis, user: AbstractBaseUser) -> list[tuple[Crisis, CrisisLink]]:
    """The crises linked to this one that ``user`` sees, with their link, newest first."""
    links = list(CrisisLink.objects.filter(Q(from_crisis=crisis) | Q(to_crisis=crisis)))
    other_ids = {
        (link.to_crisis_id if link.from_crisis_id == crisis.pk else link.from_crisis_id): link
        for link in links
    }
    visible = crises_visible_to(user).filter(pk__in=list(other_ids)).select_related("customer")
    return [(c, other_ids[c.pk]) for c in visible.order_by("-filed_at", "-id")]


def link_candidates(crisis: Crisis, user: AbstractBaseUser) -> list[Crisis]:
    """Crises ``user`` sees that may be related — the same customer or the same site (unit),
    filed within 30 days of this one, not linked yet — newest first (at most 10)."""
    same = Q(unit_id=crisis.unit_id)
    if crisis.customer_id:
        same |= Q(customer_id=crisis.customer_id)
    linked = CrisisLink.objects.filter(Q(from_crisis=crisis) | Q(to_crisis=crisis))
    taken = {crisis.pk}
    for a, b in linked.values_list("from_crisis_id", "to_crisis_id"):
        taken |= {a, b}
    return list(
        crises_visible_to(user)
        .filter(
            same,
            filed_at__gte=crisis.filed_at - LINK_CANDIDATE_WINDOW,
            filed_at__lte=crisis.filed_at + LINK_CANDIDATE_WINDOW,
        )
        .exclude(pk__in=taken)
        .select_related("customer")
        .order_by("-filed_at", "-id")[:LINK_CANDIDATE_LIMIT]
    )


def status_cadences() -> dict[str, int]:
    """Minutes between status updates per severity (0: none): HR admins' rows over the
    defaults."""
    cadence = {str(k): v for k, v in DEFAULT_STATUS_CADENCE.items()}
    cadence.update(dict(StatusCadence.objects.values_list("severity", "every_minutes")))
    return cadence


def status_update_due_at(crisis: Crisis, cadences: dict[str, int] | None = None) -> datetime | None:
    """When the next status update of an open crisis is due (None: no cadence, or closed)."""
    if crisis.status != CrisisStatus.OPEN:
        return None
    minutes = status_cadence_of(crisis, cadences)
    if not minutes:
        return None
    return crisis.status_updated_at + timedelta(minutes=minutes)


def status_cadence_of(crisis: Crisis, cadences: dict[str, int] | None = None) -> int:
    """Every how many minutes ``crisis`` owes a status update: its severity's cadence, on a
    drill's compressed clock for a drill (``drill_deadline``, as its duties); 0: none."""
    minutes = (cadences or status_cadences()).get(crisis.severity, 0)
    return drill_deadline(minutes, crisis_drill_speed(crisis))


def status_updates_of(crisis: Crisis):
    return StatusUpdate.objects.filter(crisis=crisis).select_related("posted_by__employee")
