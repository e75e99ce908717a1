"""Drills API (issue 16): the drill report, and stopping a drill at once."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from hrcore.api.parsers import JSONObjectParser
from hrcore.api.serializers import EmployeeBriefSerializer
from hrcore.errors import NotFound

from ..selectors.access import crises_visible_to
from ..selectors.drills import drill_for_report, drill_report
from ..services.drills import drill_stop
from .serializers import CrisisSerializer
from .views import CrisisApiPermission


class DrillParticipantSerializer(serializers.Serializer):
    employee = EmployeeBriefSerializer(allow_null=True)
    duty = serializers.CharField()
    acknowledged_after_s = serializers.IntegerField(
        allow_null=True, help_text="Seconds from the task's start to its acknowledgement."
    )
    done_after_s = serializers.IntegerField(
        allow_null=True, help_text="Seconds from the task's start to its delivery."
    )
    deadline_s = serializers.IntegerField(
        allow_null=True, help_text="The duty's deadline on the drill's (compressed) clock."
    )
    late = serializers.BooleanField()


class MapFailureSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["vacant", "unreachable", "wrong_person", "deadline_missed"],
        help_text="vacant: nobody holds the duty's role; unreachable: a message to the assignee "
        "failed; wrong_person: the task was reassigned or delegated; deadline_missed: nobody met "
        "the duty's deadline.",
    )
    duty = serializers.CharField()
    employee_id = serializers.IntegerField(allow_null=True)
    channel = serializers.CharField(required=False)


class DrillDecisionSerializer(serializers.Serializer):
    decision_id = serializers.IntegerField()
    employee = EmployeeBriefSerializer(allow_null=True, help_text="Who decided.")
    duty = serializers.CharField(help_text="The decision duty's code (empty: no decision task).")
    chosen = serializers.CharField(
        help_text='The option chosen: a code of the map\'s options, "other" (free text) or empty.'
    )
    preferred = serializers.ListField(
        child=serializers.CharField(), help_text="The map's preferred options (full credit)."
    )
    score = serializers.FloatField(
        allow_null=True,
        help_text="The map's credit for the option chosen, 0 to 1; null when the map rates no "
        "option or the decision was free text.",
    )


class DrillReportSerializer(serializers.Serializer):
    participants = DrillParticipantSerializer(many=True)
    map_failures = MapFailureSerializer(many=True)
    decisions = DrillDecisionSerializer(
        many=True, help_text="Each decision of the drill against the map's preferred options."
    )


class DrillReportView(APIView):
    """The report of a drill you see."""

    permission_classes = [CrisisApiPermission]

    @extend_schema(
        operation_id="drills_report",
        description="Each participant's timings against the duty's deadline, the links of the "
        "map that failed, and each decision's quality against the map's preferred options. 404: not a drill, or not visible to you.",
        responses={200: DrillReportSerializer},
    )
    def get(self, request, crisis_id: int):
        crisis = drill_for_report(request.user, crisis_id)
        if crisis is None:
            raise NotFound(_("No such drill, or not visible to you."))
        return Response(DrillReportSerializer(drill_report(crisis, viewer=request.user)).data)


class DrillStopView(APIView):
    """Stop a drill at once."""

    permission_classes = [CrisisApiPermission]
    parser_classes = [JSONObjectParser]

    @extend_schema(
        operation_id="crises_stop_drill",
        description="Stop the drill now: every open task cancelled with its timer stopped, every "
        "statutory clock it started stopped, the drill closed. HR admins and the executive over "
        "the drill's unit (else 403). 409: not a drill (`not_a_drill`) or already over "
        "(`crisis_closed`).",
        request=None,
        responses={200: CrisisSerializer},
    )
    def post(self, request, pk: int):
        crisis = crises_visible_to(request.user).filter(pk=pk).first()
        if crisis is None:
            raise NotFound(_("Not found, or not visible to you."))
        crisis = drill_stop(crisis=crisis, actor=request.user)
        return Response(CrisisSerializer(crisis, context={"request": request}).data)
