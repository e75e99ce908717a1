"""Self-service questions and score disputes over the API (``/api/v1/questions/``): list what
one may see (``scope`` = ``mine``, ``team``, ``escalated``; ``status``), ask or dispute, read one,
answer one (``POST /api/v1/questions/{id}/answer/``)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from hrcore import selfservice_selectors as qs
from hrcore.errors import ValidationFailed
from hrcore.models import Question
from hrcore.selfservice_models import QuestionKind, QuestionStatus
from hrcore.services import selfservice

from .permissions import ScopedPermission


class _PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField(source="user.username", default="")
    name_zh = serializers.CharField()
    name_en = serializers.CharField()


class QuestionSerializer(serializers.ModelSerializer):
    asker = _PersonSerializer(read_only=True)
    answerer = _PersonSerializer(read_only=True, allow_null=True)
    answered_by = _PersonSerializer(read_only=True, allow_null=True)
    reference = serializers.SerializerMethodField()

    class Meta:
        model = Question
        fields = [
            "id",
            "kind",
            "subject",
            "body",
            "reference",
            "asker",
            "answerer",
            "routed_via",
            "status",
            "answer",
            "answered_by",
            "answered_at",
            "created_at",
            "window_opens_at",
            "window_closes_at",
            "escalations",
            "escalated_at",
        ]

    def get_reference(self, obj: Question) -> dict | None:
        if not obj.reference_kind:
            return None
        return {"kind": obj.reference_kind, "id": obj.reference_id, "label": obj.reference_label}


class QuestionAskSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=QuestionKind.choices, default=QuestionKind.QUESTION)
    subject = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=4000)
    reference_kind = serializers.CharField(required=False, allow_blank=True, default="")
    reference_id = serializers.CharField(required=False, allow_blank=True, default="")


class QuestionAnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(max_length=4000)


SCOPES = {
    "mine": qs.my_questions,
    "team": qs.team_questions,
    "escalated": qs.escalated_questions,
}


class QuestionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Questions and score disputes: one's own, one's team's (as supervisor or stand-in), and
    HR's (routed to HR or escalated)."""

    serializer_class = QuestionSerializer
    permission_classes = [ScopedPermission]
    queryset = Question.objects.none()
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Question.objects.none()
        scope = self.request.query_params.get("scope", "")
        if scope and scope not in SCOPES:
            raise ValidationFailed(
                _("Unknown scope."), errors={"scope": _("Use one of: mine, team, escalated.")}
            )
        rows = (SCOPES[scope] if scope else qs.questions_visible_to)(self.request.user)
        state = self.request.query_params.get("status", "")
        if state:
            if state not in QuestionStatus.values:
                raise ValidationFailed(
                    _("Unknown status."), errors={"status": _("Use one of: open, answered.")}
                )
            rows = rows.filter(status=state)
        return rows.order_by("-created_at", "-id")

    @extend_schema(
        parameters=[
            OpenApiParameter("scope", str, enum=list(SCOPES)),
            OpenApiParameter("status", str, enum=QuestionStatus.values),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, pk=None):
        return Response(QuestionSerializer(qs.question_visible(request.user, int(pk))).data)

    @extend_schema(request=QuestionAskSerializer, responses={201: QuestionSerializer})
    def create(self, request):
        """Ask the supervisor, or dispute one of one's own scores (``reference_kind`` and
        ``reference_id``)."""
        data = QuestionAskSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        question = selfservice.question_ask(user=request.user, **data.validated_data)
        return Response(QuestionSerializer(question).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=QuestionAnswerSerializer, responses={200: QuestionSerializer})
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        """Answer (the person it is routed to, the asker's supervisor, or HR once it is HR's)."""
        data = QuestionAnswerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        question = selfservice.question_answer(
            user=request.user, question_id=int(pk), answer=data.validated_data["answer"]
        )
        return Response(QuestionSerializer(question).data)
