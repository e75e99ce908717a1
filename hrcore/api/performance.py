"""A person's performance events over the API (issue 17 §1): the person sees their own, a
supervisor their team's, HR admins everyone's; anyone else gets the 404 of a hidden person."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers

from hrcore.models import Employee, PerformanceEvent
from hrcore.performance_selectors import can_see_performance, performance_events_of

from .permissions import ScopedPermission


class PerformanceEventSerializer(serializers.ModelSerializer):
    employee = serializers.IntegerField(source="employee_id", read_only=True)
    summary = serializers.CharField(read_only=True)
    sent = serializers.SerializerMethodField()

    class Meta:
        model = PerformanceEvent
        fields = [
            "id",
            "employee",
            "kind",
            "variant",
            "source_key",
            "points",
            "period",
            "occurred_at",
            "summary",
            "summary_zh",
            "summary_en",
            "link",
            "sent",
            "sent_at",
            "partner_reference",
        ]
        read_only_fields = fields

    def get_sent(self, event: PerformanceEvent) -> bool:
        return event.sent_at is not None


@extend_schema(
    summary="A person's performance events",
    description="Newest first; ``id`` is stable (a dispute of a score names it). The person, "
    "their supervisors and HR admins; others get 404.",
)
class PerformanceEventList(generics.ListAPIView):
    serializer_class = PerformanceEventSerializer
    permission_classes = [ScopedPermission]
    queryset = PerformanceEvent.objects.none()  # the schema's model; requests use get_queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PerformanceEvent.objects.none()
        # Not only the employed: HR admins and supervisors still read a leaver's record.
        employee = get_object_or_404(Employee.objects.select_related("unit"), pk=self.kwargs["pk"])
        if not can_see_performance(self.request.user, employee):
            raise Http404  # hidden: the same answer as no such person
        return performance_events_of(employee)
