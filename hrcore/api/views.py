from django_filters import rest_framework as filters
from rest_framework import viewsets

from hrcore import selectors
from hrcore.choices import DepartmentFunction, UnitKind

from .permissions import ReadOnlyOrHrAdmin
from .serializers import EmployeeSerializer, OrgUnitSerializer, PositionSerializer


class OrgUnitFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=UnitKind.choices)
    function = filters.ChoiceFilter(choices=DepartmentFunction.choices)
    parent = filters.CharFilter(field_name="parent__code")


class OrgUnitViewSet(viewsets.ReadOnlyModelViewSet):
    """Organisation units (group, subsidiaries, departments), addressed by code."""

    serializer_class = OrgUnitSerializer
    permission_classes = [ReadOnlyOrHrAdmin]
    lookup_field = "code"
    filterset_class = OrgUnitFilter

    def get_queryset(self):
        return selectors.org_units_visible_to(self.request.user).order_by("depth", "code")


class PositionViewSet(viewsets.ReadOnlyModelViewSet):
    """Positions (job titles), addressed by code."""

    serializer_class = PositionSerializer
    permission_classes = [ReadOnlyOrHrAdmin]
    lookup_field = "code"

    def get_queryset(self):
        return selectors.positions_visible_to(self.request.user).order_by("code")


class EmployeeFilter(filters.FilterSet):
    unit = filters.CharFilter(field_name="unit__code")
    position = filters.CharFilter(field_name="position__code")


class EmployeeViewSet(viewsets.ReadOnlyModelViewSet):
    """Employees of the group."""

    serializer_class = EmployeeSerializer
    permission_classes = [ReadOnlyOrHrAdmin]
    filterset_class = EmployeeFilter

    def get_queryset(self):
        return selectors.employees_visible_to(self.request.user).order_by("id")
