from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from hrcore import selectors
from hrcore.choices import DepartmentFunction, UnitKind
from hrcore.errors import NotFound
from hrcore.models import ApiToken, Notification

from .permissions import AnyScope, ReadOnlyOrHrAdmin, ReadScope
from .serializers import (
    ApiTokenSerializer,
    EmployeeSerializer,
    NotificationSerializer,
    OrgUnitSerializer,
    PositionSerializer,
)


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


class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    """The caller's own notifications, newest first: kind and parameters, and the subject and
    body rendered in the request's language (``Accept-Language`` or the user's preference)."""

    serializer_class = NotificationSerializer
    permission_classes = [ReadScope]
    queryset = Notification.objects.none()  # the schema's model; requests use get_queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return Notification.objects.none()
        return selectors.notifications_for(self.request.user).order_by("-created_at", "-id")


class CurrentTokenView(APIView):
    """The token this request authenticates with: owner, scopes and expiry (any scope may ask,
    so a partner can see when to rotate)."""

    permission_classes = [AnyScope]

    @extend_schema(responses={200: ApiTokenSerializer})
    def get(self, request):
        if not isinstance(request.auth, ApiToken):
            raise NotFound(_("This request carries no API token."))
        return Response(ApiTokenSerializer(request.auth).data)
