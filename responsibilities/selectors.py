"""Reads of scenarios and maps that depend on who is asking, and the map in force for a unit."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from hrcore.choices import Role
from hrcore.models import OrgUnit, Position
from hrcore.prepared import prepared_rows
from hrcore.selectors import has_role, is_hr_admin

from .choices import MapStatus
from .models import Duty, ResponsibilityMap, Scenario


def can_edit_maps(user: AbstractBaseUser) -> bool:
    """HR admins configure scenarios and maps; partner systems may too (through a token that
    carries the ``write`` scope, checked by the API)."""
    return has_role(user, Role.HR_ADMIN, Role.PARTNER)


def may_see_option_credits(
    user: AbstractBaseUser, responsibility_map: ResponsibilityMap | None = None
) -> bool:
    """A decision option's ``credit`` (the map's preferred options, what a drill scores against)
    is shown to those who edit maps (HR admins, partner systems) and to the map's author — not
    to everyone who reads maps, who may later be scored in a drill."""
    if not user.is_authenticated:
        return False
    if can_edit_maps(user):
        return True
    return responsibility_map is not None and responsibility_map.author_id == user.pk


def scenarios_visible_to(user: AbstractBaseUser) -> QuerySet[Scenario]:
    """Every logged-in user reads the scenario catalogue."""
    if not user.is_authenticated:
        return Scenario.objects.none()
    return Scenario.objects.all()


def maps_visible_to(user: AbstractBaseUser) -> QuerySet[ResponsibilityMap]:
    """HR admins see every version; everyone else logged in sees published and archived ones
    (archived versions may still be running in a crisis that started under them); a partner
    system also sees its own drafts."""
    if not user.is_authenticated:
        return ResponsibilityMap.objects.none()
    qs = ResponsibilityMap.objects.select_related("scenario", "scope", "author", "author__employee")
    if is_hr_admin(user):
        return qs
    if has_role(user, Role.PARTNER):  # a partner system sees the drafts it wrote itself
        return qs.filter(~Q(status=MapStatus.DRAFT) | Q(author=user))
    return qs.exclude(status=MapStatus.DRAFT)


def maps_for_list(user: AbstractBaseUser) -> QuerySet[ResponsibilityMap]:
    """The map list: visible maps with their duty count, in one query."""
    return maps_visible_to(user).annotate(duty_count=Count("duties"))


def duties_ordered() -> QuerySet[Duty]:
    return Duty.objects.select_related("assignee_position").order_by("order", "id")


def map_with_duties(qs: QuerySet[ResponsibilityMap]) -> QuerySet[ResponsibilityMap]:
    return qs.prefetch_related(Prefetch("duties", queryset=duties_ordered()))


def in_force(
    maps: Iterable[ResponsibilityMap], at: datetime | None = None
) -> list[ResponsibilityMap]:
    """Of published versions, the one in force per scenario and scope at ``at`` (default now):
    the latest whose ``effective_from`` has come (none set: since publication), so a version
    published for a future date takes over at that date while the current one keeps running.
    A scope whose only published version starts later (its first version, published ahead)
    already has that one: a scope with a published map is never without one."""
    at = at or timezone.now()
    floor = datetime.min.replace(tzinfo=UTC)
    started: dict[tuple[int, int], ResponsibilityMap] = {}
    waiting: dict[tuple[int, int], ResponsibilityMap] = {}
    for m in maps:
        if m.status != MapStatus.PUBLISHED:
            continue
        key = (m.scenario_id, m.scope_id)
        order = (m.effective_from or floor, m.version)
        if m.effective_from is None or m.effective_from <= at:
            current = started.get(key)
            if current is None or order > (current.effective_from or floor, current.version):
                started[key] = m
        else:
            first = waiting.get(key)
            if first is None or order < (first.effective_from, first.version):
                waiting[key] = m
    return list({**waiting, **started}.values())


def maps_in_force(at: datetime | None = None) -> list[ResponsibilityMap]:
    """Every map in force at ``at``, with scenario and scope, in one query."""
    published = ResponsibilityMap.objects.select_related("scenario", "scope").filter(
        status=MapStatus.PUBLISHED
    )
    return sorted(in_force(published, at), key=lambda m: (m.scenario.code, m.scope.path))


def published_map_for(
    *, scenario: str | Scenario, unit: OrgUnit, at: datetime | None = None
) -> ResponsibilityMap | None:
    """The map in force at ``at`` (default now) of ``scenario`` whose scope is ``unit`` or its
    nearest ancestor (crisis filing and map coverage both choose the map here)."""
    ancestor_ids = unit.ancestor_ids()  # nearest first
    if not ancestor_ids:
        return None
    at = at or timezone.now()
    # Compiled once per connection (``prepared_rows``): filing reads this on every crisis.
    if isinstance(scenario, Scenario):
        name, scenario_key, field = "responsibilities.maps_for:id", scenario.pk, "scenario_id"
    else:
        name, scenario_key, field = "responsibilities.maps_for:code", scenario, "scenario__code"
    published = prepared_rows(
        name,
        lambda key, ids: (
            ResponsibilityMap.objects.select_related("scenario", "scope")
            .filter(**{field: key}, status=MapStatus.PUBLISHED, scope_id__in=ids)
            .order_by()
        ),  # in_force chooses; the default ordering would only cost a sort
        scenario_key,
        list(ancestor_ids),
    )
    candidates = {m.scope_id: m for m in in_force(published, at)}
    for unit_id in ancestor_ids:
        if unit_id in candidates:
            return with_duties_loaded(candidates[unit_id])
    return None


def with_duties_loaded(responsibility_map: ResponsibilityMap) -> ResponsibilityMap:
    """``responsibility_map`` with its duties (``duties_ordered``) in its prefetch cache, as
    ``map_with_duties`` leaves them, read in one query for this one map (not for every version
    a choice looked at, and without the prefetch machinery: filing reads this on every crisis)."""
    rows = prepared_rows(
        "responsibilities.duties_of_map",
        lambda map_id: duties_ordered().filter(map_id=map_id),
        responsibility_map.pk,
    )
    for duty in rows:
        Duty.map.field.set_cached_value(duty, responsibility_map)
    duties = duties_ordered().filter(map=responsibility_map)
    duties._result_cache, duties._prefetch_done = rows, True  # as if evaluated
    responsibility_map._prefetched_objects_cache = {"duties": duties}
    return responsibility_map


def map_versions(*, responsibility_map: ResponsibilityMap, user) -> list[ResponsibilityMap]:
    """Every visible version of the same scenario and scope, newest first."""
    return list(
        maps_for_list(user)
        .filter(scenario_id=responsibility_map.scenario_id, scope_id=responsibility_map.scope_id)
        .order_by("-version")
    )


def position_crisis_duties(*, position: Position) -> list[Duty]:
    """Every published duty that falls to ``position`` across scenarios and scopes.

    A duty falls to a position when it names the position directly; duties addressed to a
    department function are listed for the position that heads departments of that function
    (hrcore's head-position mapping is data, so we use the heads actually in the org)."""
    from hrcore.models import OrgUnit as Unit

    head_functions = set(
        Unit.objects.filter(head__position=position)
        .exclude(function="")
        .values_list("function", flat=True)
    )
    q = Q(assignee_position=position)
    if head_functions:
        q |= Q(assignee_function__in=head_functions)
    duties = list(
        Duty.objects.filter(q, map__status=MapStatus.PUBLISHED)
        .select_related("map__scenario", "map__scope", "assignee_position")
        .order_by("map__scenario__code", "map__scope__path", "order", "id")
    )
    # Name each prerequisite by its owner ("Finance (finance-records)") in one more query.
    owners = {
        (d.map_id, d.code): d
        for d in Duty.objects.filter(map_id__in={d.map_id for d in duties}).select_related(
            "assignee_position"
        )
    }
    for duty in duties:
        duty.after_duties = [
            owners[(duty.map_id, c)] for c in duty.after if (duty.map_id, c) in owners
        ]
    return duties


def position_titles() -> dict[str, str]:
    """Every position's code → title in the reader's language, sorted by title."""
    titles = {p.code: p.title for p in Position.objects.all()}
    return dict(sorted(titles.items(), key=lambda item: item[1]))


def published_version_of(responsibility_map: ResponsibilityMap) -> ResponsibilityMap | None:
    """The version in force for the same scenario and scope (what publishing would replace)."""
    versions = (
        map_with_duties(ResponsibilityMap.objects.select_related("scenario", "scope"))
        .filter(
            scenario_id=responsibility_map.scenario_id,
            scope_id=responsibility_map.scope_id,
            status=MapStatus.PUBLISHED,
        )
        .exclude(pk=responsibility_map.pk)
    )
    found = in_force(versions)
    return found[0] if found else None
