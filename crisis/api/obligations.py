"""Statutory clocks in the API (issue 15 §3; the documented names are fixed):

* ``GET /api/v1/crises/{id}/obligations/`` — the crisis's clocks, soonest due first;
* ``POST /api/v1/obligations/{id}/file/`` — file one (``note`` and/or a multipart ``file``) or
  mark it not applicable (``{"not_applicable": true, "reason": "…"}``).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from hrcore.api.parsers import JSONObjectParser
from hrcore.errors import NotFound, ValidationFailed

from ..models import NOTE_MAX_LENGTH, CrisisObligation
from ..obligations import ObligationState
from ..selectors.access import crises_visible_to
from ..selectors.obligations import crisis_obligations, obligation_visible
from ..services.obligations import obligation_file, obligation_not_applicable
from .views import CrisisApiPermission

GUIDANCE = (
    "The obligations and their periods are guidance for the crisis team, not legal advice "
    "(指引，非法律意见)."
)


class ObligationSerializer(serializers.ModelSerializer):
    title = serializers.CharField(read_only=True, help_text="In the request's language.")
    basis = serializers.CharField(
        read_only=True, help_text="The legal reference, in the request's language."
    )
    state = serializers.ChoiceField(choices=ObligationState.choices, read_only=True)
    crisis = serializers.IntegerField(source="crisis_id", read_only=True)
    filed_by = serializers.CharField(
        source="filed_by.username", read_only=True, allow_null=True, default=None
    )
    file_name = serializers.CharField(read_only=True)

    class Meta:
        model = CrisisObligation
        fields = [
            "id",
            "code",
            "title",
            "basis",
            "due_at",
            "state",
            "crisis",
            "title_zh",
            "title_en",
            "basis_zh",
            "basis_en",
            "trigger",
            "triggered_at",
            "warn_at",
            "breached_at",
            "filed_at",
            "filed_by",
            "note",
            "reason",
            "file_name",
        ]


class ObligationFileSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=NOTE_MAX_LENGTH
    )
    file = serializers.FileField(
        required=False, help_text="The proof (multipart only): the deliverables' types and limit."
    )
    not_applicable = serializers.BooleanField(
        required=False,
        default=False,
        help_text="True: the obligation does not apply to this crisis; `reason` is then required.",
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=NOTE_MAX_LENGTH
    )


class CrisisObligationsView(APIView):
    """The statutory clocks of a crisis you see."""

    permission_classes = [CrisisApiPermission]

    @extend_schema(
        operation_id="crises_obligations_list",
        description="The crisis's statutory clocks, soonest due first. " + GUIDANCE,
        responses={200: ObligationSerializer(many=True)},
    )
    def get(self, request, pk: int):
        if not crises_visible_to(request.user).filter(pk=pk).exists():
            raise NotFound(_("Not found, or not visible to you."))
        return Response(ObligationSerializer(crisis_obligations(pk), many=True).data)


class ObligationFileView(APIView):
    """File a statutory clock, or mark it not applicable."""

    permission_classes = [CrisisApiPermission]
    parser_classes = [JSONObjectParser, MultiPartParser, FormParser]

    @extend_schema(
        operation_id="obligations_file",
        description=(
            "File the obligation: a `note` and/or a multipart `file` (the proof) — at least one. "
            'Or mark it not applicable: `{"not_applicable": true, "reason": "…"}` (no file). '
            "The crisis manager (filer or a manager who sees the crisis), an executive or an HR "
            "admin may (else 403; a clock of a crisis you do not see: 404). 400: no note and no "
            "file, a not-applicable without a reason, a file of a refused type or over the limit. "
            "409 (`obligation_closed`): the clock was filed or marked before. " + GUIDANCE
        ),
        request={
            "application/json": ObligationFileSerializer,
            "multipart/form-data": ObligationFileSerializer,
        },
        responses={200: ObligationSerializer},
        examples=[
            OpenApiExample(
                "Filed",
                value={"note": "Reported to the CAC hotline, ticket 8812"},
                request_only=True,
            ),
            OpenApiExample(
                "Not applicable",
                value={"not_applicable": True, "reason": "No EU data subject is concerned."},
                request_only=True,
            ),
        ],
    )
    def post(self, request, pk: int):
        if obligation_visible(request.user, pk) is None:
            raise NotFound(_("Not found, or not visible to you."))
        upload = request.FILES.get("file")
        if upload is None and request.data.get("file") not in (None, ""):
            raise ValidationFailed(
                _("Send the file as a multipart upload."), errors={"file": _("Not a file.")}
            )
        serializer = ObligationFileSerializer(
            data={k: v for k, v in request.data.items() if k != "file"}
        )
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data["not_applicable"]:
            if upload is not None or data["note"]:
                raise ValidationFailed(
                    _("A not-applicable marking takes a reason, not a note or a file."),
                    errors={"not_applicable": _("Send only the reason.")},
                )
            obligation_not_applicable(clock=pk, actor=request.user, reason=data["reason"])
        else:
            if data["reason"]:
                raise ValidationFailed(
                    _("A reason goes with “not applicable”; a filing takes a note or a file."),
                    errors={"reason": _("Send not_applicable: true with a reason.")},
                )
            obligation_file(clock=pk, actor=request.user, note=data["note"], file=upload)
        return Response(ObligationSerializer(obligation_visible(request.user, pk)).data)
