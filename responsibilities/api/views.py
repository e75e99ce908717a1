"""Scenarios and responsibility maps over REST (SPEC §3.6): parse, call a service, render."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from hrcore.api.permissions import ScopedPermission
from hrcore.choices import Role
from hrcore.errors import NotFound, PermissionDenied, ValidationFailed
from hrcore.models import ApiToken, OrgUnit
from hrcore.selectors import group_unit, has_role, unit_by_code

from .. import coverage_selectors, selectors
from ..choices import MapStatus
from ..services import dry_run, maps, scenarios
from .serializers import (
    CoverageSerializer,
    DiffSerializer,
    DryRunInputSerializer,
    DryRunSerializer,
    MapInputSerializer,
    MapSerializer,
    MapUpdateSerializer,
    ScenarioInputSerializer,
    ScenarioSerializer,
    coverage_data,
    dry_run_data,
)

ERRORS = {
    400: OpenApiResponse(description="Bad input: per-field messages in `errors`."),
    401: OpenApiResponse(description="Not authenticated."),
    403: OpenApiResponse(description="Not allowed."),
    404: OpenApiResponse(description="Not found, or not visible to you."),
    409: OpenApiResponse(description="Conflicts with the current state."),
}

READ_ACTIONS = {"dry_run"}  # POST, but changes nothing


class MapsPermission(ScopedPermission):
    """Everyone logged in reads (and dry-runs); HR admins write, and partner systems through a
    token that explicitly carries the ``write`` scope."""

    message = gettext_lazy("Only HR admins may change scenarios and responsibility maps.")

    def scopes(self, view, method: str) -> tuple[str, ...]:
        if method in SAFE_METHODS or getattr(view, "action", None) in READ_ACTIONS:
            return ("read",)
        return ("write",)

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if self.scopes(view, request.method) == ("read",):
            return True
        user = request.user
        if not selectors.can_edit_maps(user):
            return False
        if has_role(user, Role.HR_ADMIN):
            return True
        token = request.auth
        return isinstance(token, ApiToken) and "write" in (token.scopes or [])


def _known_unit(code: str, *, field: str) -> OrgUnit:
    """The unit named in the input, or a 400 on ``field``."""
    unit = unit_by_code(code)
    if unit is None:
        raise ValidationFailed(
            _("Unknown org unit “%(code)s”.") % {"code": code[:80]},
            errors={field: _("Unknown org unit code.")},
        )
    return unit


def _titles(data: dict) -> tuple[str | None, str | None]:
    title = data.get("title")
    zh = data.get("title_zh", title)
    en = data.get("title_en", title)
    return zh, en


class ScenarioViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Pressure scenarios (debt collection, complaint, …), addressed by code."""

    serializer_class = ScenarioSerializer
    permission_classes = [MapsPermission]
    lookup_field = "code"
    lookup_value_regex = "[-a-zA-Z0-9_]+"

    def get_queryset(self):
        return selectors.scenarios_visible_to(self.request.user).order_by("code")

    @extend_schema(request=ScenarioInputSerializer, responses={201: ScenarioSerializer, **ERRORS})
    def create(self, request, *args, **kwargs):
        data = ScenarioInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        scenario = scenarios.scenario_create(**data.validated_data, actor=request.user)
        return Response(ScenarioSerializer(scenario).data, status=status.HTTP_201_CREATED)


class MapFilter(filters.FilterSet):
    scenario = filters.CharFilter(field_name="scenario__code")
    scope = filters.CharFilter(field_name="scope__code")
    status = filters.ChoiceFilter(choices=MapStatus.choices)


class ResponsibilityMapViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Versioned responsibility maps with their duties. Drafts are visible to HR admins only."""

    serializer_class = MapSerializer
    permission_classes = [MapsPermission]
    filterset_class = MapFilter

    def get_queryset(self):
        return selectors.map_with_duties(selectors.maps_visible_to(self.request.user)).order_by(
            "scenario__code", "scope__path", "-version"
        )

    @extend_schema(request=MapInputSerializer, responses={201: MapSerializer, **ERRORS})
    def create(self, request, *args, **kwargs):
        data = MapInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        scenario = selectors.scenarios_visible_to(request.user).filter(code=v["scenario"]).first()
        if scenario is None:
            raise ValidationFailed(
                _("Unknown scenario “%(code)s”.") % {"code": v["scenario"][:80]},
                errors={"scenario": _("Unknown scenario code.")},
            )
        scope = _known_unit(v["scope"], field="scope") if v.get("scope") else group_unit()
        zh, en = _titles(v)
        created = maps.responsibility_map_create(
            scenario=scenario,
            scope=scope,
            duties=v["duties"],
            title_zh=zh or "",
            title_en=en or "",
            change_note=v.get("change_note", ""),
            effective_from=v.get("effective_from"),
            severity_factors=v.get("severity_factors"),
            actor=request.user,
        )
        return Response(self._render(created.pk), status=status.HTTP_201_CREATED)

    def _render(self, pk: int) -> dict:
        return MapSerializer(
            self.get_queryset().get(pk=pk), context=self.get_serializer_context()
        ).data

    @extend_schema(request=MapUpdateSerializer, responses={200: MapSerializer, **ERRORS})
    def partial_update(self, request, *args, **kwargs):
        """Edit a draft (duties, if given, replace the whole list). Published versions: 409."""
        m = self.get_object()
        data = MapUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        zh, en = _titles(v)
        maps.responsibility_map_update(
            responsibility_map=m,
            duties=v.get("duties"),
            title_zh=zh,
            title_en=en,
            change_note=v.get("change_note"),
            severity_factors=v.get("severity_factors"),
            actor=request.user,
        )
        return Response(self._render(m.pk))

    @extend_schema(request=None, responses={200: MapSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """Validate and freeze a draft; the version it replaces is archived."""
        m = self.get_object()
        maps.responsibility_map_publish(responsibility_map=m, actor=request.user)
        return Response(self._render(m.pk))

    @extend_schema(request=None, responses={201: MapSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def revise(self, request, pk=None):
        """The next draft version of a published map (or the existing draft)."""
        m = self.get_object()
        draft = maps.responsibility_map_revise(responsibility_map=m, actor=request.user)
        return Response(self._render(draft.pk), status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: MapSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        m = self.get_object()
        maps.responsibility_map_archive(responsibility_map=m, actor=request.user)
        return Response(self._render(m.pk))

    @extend_schema(
        request=DryRunInputSerializer,
        responses={200: DryRunSerializer, **ERRORS},
        operation_id="responsibility_maps_dry_run",
    )
    @action(detail=True, methods=["post"], url_path="dry-run")
    def dry_run(self, request, pk=None):
        """Who would get which duty for a crisis in ``unit`` starting at ``start``, due when,
        and the critical path to the last decision (every duty taking its full allowance)."""
        m = self.get_object()
        data = DryRunInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        unit = _known_unit(v["unit"], field="unit") if v.get("unit") else None
        run = dry_run.responsibility_map_dry_run(
            responsibility_map=m, unit=unit, start=v.get("start")
        )
        return Response(DryRunSerializer(dry_run_data(run)).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("against", int, required=True, description="The other version's id.")
        ],
        responses={200: DiffSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get"])
    def diff(self, request, pk=None):
        """What changed from version ``against`` to this one (by duty code)."""
        m = self.get_object()
        try:
            other_id = int(request.query_params.get("against", ""))
        except ValueError:
            raise ValidationFailed(
                _("Give the id of the other version as ?against=<id>."),
                errors={"against": _("A map id is required.")},
            ) from None
        other = self.get_queryset().filter(pk=other_id).first()
        if other is None:
            raise NotFound(_("Not found, or not visible to you."))
        result = maps.responsibility_map_diff(old=other, new=m)
        return Response(DiffSerializer({"old": other.pk, "new": m.pk, **result.as_dict()}).data)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "unit",
                str,
                required=False,
                description=(
                    "Code of a unit in the map's scope (the scope itself, a subsidiary or a "
                    "department). Without it: every unit the map covers — its scope and the "
                    "subsidiaries below it that no nearer map of the scenario takes over — one "
                    "row per (unit, duty), and the score over all of them. An unknown code or a "
                    "unit outside the scope: 400."
                ),
            )
        ],
        responses={200: CoverageSerializer, **ERRORS},
        operation_id="responsibility_maps_coverage",
    )
    @action(detail=True, methods=["get"])
    def coverage(self, request, pk=None):
        """Whether every duty of the map has a holder who can act — active, present, reachable
        on two channels (e-mail, mobile, DingTalk, WeCom, Feishu; in-app does not count),
        trained (current competency evidence for the duty's skills) — else a deputy; else a gap
        (vacant / absent / unreachable / untrained). HR admins and executives read every unit,
        managers their own company; recomputed within a minute of an HR change."""
        m = self.get_object()
        scope = coverage_selectors.coverage_scope(request.user)
        if scope is None:
            raise PermissionDenied(
                _("Only HR admins, executives and managers may read a map's coverage.")
            )
        code = request.query_params.get("unit", "").strip()
        if code:
            unit = _known_unit(code, field="unit")
            if not unit.path.startswith(m.scope.path):
                raise ValidationFailed(
                    _("%(unit)s is outside this map's scope (%(scope)s).")
                    % {"unit": unit.name, "scope": m.scope.name},
                    errors={"unit": _("Give a unit in the map's scope.")},
                )
            if not unit.path.startswith(scope):
                raise PermissionDenied(_("You may read the coverage of your own company only."))
            view = coverage_selectors.coverages([m])[0]
            if code in view.units:
                view = coverage_selectors.readable(view, unit.path, {code: unit.path})
            else:
                view = coverage_selectors.coverage_for_unit(m, unit)
        else:
            view = coverage_selectors.coverages([m])[0]
            paths = coverage_selectors.unit_paths(view.units)
            view = coverage_selectors.readable(view, scope, paths)
            if not view.rows and scope:
                raise PermissionDenied(_("You may read the coverage of your own company only."))
        return Response(CoverageSerializer(coverage_data(view)).data)
