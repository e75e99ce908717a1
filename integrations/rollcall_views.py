"""Roll-call API (``POST /api/v1/crises/{id}/roll-calls/``, ``GET /api/v1/roll-calls/{id}/``,
``POST /api/v1/roll-calls/{id}/answer/``), the answer page behind the signed link, and the
crisis page's live tally."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from crisis.selectors.access import crises_visible_to
from hrcore.errors import KeelError, NotFound, PermissionDenied, ValidationFailed

from . import rollcall
from .models import RollCall
from .warroom import war_room_open

RollCallSerializer = inline_serializer(
    "RollCall",
    {
        "id": serializers.IntegerField(),
        "crisis": serializers.IntegerField(),
        "unit": serializers.CharField(),
        "message": serializers.CharField(),
        "recipients": serializers.IntegerField(),
        "safe": serializers.IntegerField(),
        "need_help": serializers.IntegerField(),
        "not_affected": serializers.IntegerField(),
        "no_answer": serializers.IntegerField(),
    },
)


def roll_call_body(roll_call: RollCall) -> dict:
    t = rollcall.tally(roll_call)
    return {
        "id": roll_call.pk,
        "crisis": roll_call.crisis_id,
        "unit": roll_call.unit.code,
        "message": roll_call.message,
        "recipients": t.recipients,
        "safe": t.safe,
        "need_help": t.need_help,
        "not_affected": t.not_affected,
        "no_answer": t.no_answer,
    }


class RollCallSendView(APIView):
    """Send an "are you safe" roll call to everyone in a unit (default: the crisis's unit).
    A repeated send answers 200 with the same roll call and messages nobody twice."""

    @extend_schema(
        request=inline_serializer(
            "RollCallSend",
            {
                "unit": serializers.CharField(required=False),
                "message": serializers.CharField(required=False),
            },
        ),
        responses={201: RollCallSerializer, 200: RollCallSerializer},
    )
    def post(self, request, crisis_id: int):
        crisis = crises_visible_to(request.user).filter(pk=crisis_id).first()
        if crisis is None:
            raise NotFound(_("No such crisis."))
        data = request.data if isinstance(request.data, dict) else {}
        unit, message = data.get("unit"), data.get("message", "")
        if unit is not None and not isinstance(unit, str):
            raise ValidationFailed(_("unit must be a unit code."), errors={"unit": unit})
        if not isinstance(message, str):
            raise ValidationFailed(_("message must be text."), errors={"message": message})
        roll_call, created = rollcall.roll_call_send(
            crisis=crisis, unit_code=unit, message=message, actor=request.user
        )
        return Response(
            roll_call_body(roll_call), status=status.HTTP_201_CREATED if created else 200
        )


class RollCallDetailView(APIView):
    """The roll call and its live tally (its crisis's managers and its recipients)."""

    @extend_schema(responses={200: RollCallSerializer})
    def get(self, request, roll_call_id: int):
        return Response(roll_call_body(rollcall.roll_call_visible(request.user, roll_call_id)))


class RollCallAnswerView(APIView):
    """The recipient answers: safe, need_help or not_affected (they may correct it)."""

    @extend_schema(
        request=inline_serializer("RollCallAnswer", {"answer": serializers.CharField()}),
        responses={200: RollCallSerializer},
    )
    def post(self, request, roll_call_id: int):
        roll_call = rollcall.roll_call_visible(request.user, roll_call_id)
        row = roll_call.answers.filter(user=request.user).first()
        if row is None:
            raise NotFound(_("You were not asked in this roll call."))
        data = request.data if isinstance(request.data, dict) else {}
        rollcall.roll_call_answer(row=row, answer=str(data.get("answer", "")), via="inapp")
        return Response(roll_call_body(roll_call))


@require_http_methods(["GET", "POST"])
def answer_page(request, token: str):
    """The signed link in the roll-call message: three buttons, no password."""
    try:
        row = rollcall.row_from_token(token)
    except ValidationFailed as exc:
        status_code = 410 if exc.code == "expired" else 400
        return render(
            request, "integrations/rollcall_answer.html", {"state": exc.code}, status=status_code
        )
    context = {"state": "ask", "row": row, "crisis": row.roll_call.crisis, "token": token}
    if request.method == "POST":
        try:
            rollcall.roll_call_answer(row=row, answer=request.POST.get("answer", ""), via="link")
        except ValidationFailed:
            return render(request, "integrations/rollcall_answer.html", context, status=400)
        row.refresh_from_db()
        context.update(state="done", row=row)
    return render(request, "integrations/rollcall_answer.html", context)


@login_required
def crisis_roll_calls_panel(request, crisis_pk: int):
    """The crisis page's live tally of its roll calls (htmx, polls itself)."""
    from .reach_views import crisis_for_ledger

    try:
        crisis = crisis_for_ledger(request.user, crisis_pk)
    except KeelError as exc:
        raise Http404 from exc
    rows = [
        roll_call_body(rc) | {"roll_call": rc} for rc in crisis.roll_calls.select_related("unit")
    ]
    help_names = rollcall.need_help_names([r["id"] for r in rows])
    for row in rows:
        row["need_help_names"] = help_names.get(row["id"], [])
        row["answered"] = row["recipients"] - row["no_answer"]
    asked_units = {r["roll_call"].unit_id for r in rows}
    return render(
        request,
        "integrations/crisis_roll_calls_panel.html",
        {
            "crisis": crisis,
            "rows": rows,
            # the crisis unit's roll call can be sent once; another unit through the API
            "may_send": crisis.is_open and crisis.unit_id not in asked_units,
        },
    )


@login_required
@require_http_methods(["POST"])
def crisis_roll_call_send(request, crisis_pk: int):
    """The crisis page's "send a roll call to <unit>" form (the crisis's managers)."""
    from django.contrib import messages
    from django.shortcuts import redirect

    from .reach_views import crisis_for_ledger

    try:
        crisis = crisis_for_ledger(request.user, crisis_pk)
        roll_call, created = rollcall.roll_call_send(
            crisis=crisis,
            unit_code=None,
            message=request.POST.get("message", ""),
            actor=request.user,
        )
    except (NotFound, PermissionDenied) as exc:
        raise Http404 from exc
    except KeelError as exc:
        messages.error(request, exc.message)
        return redirect("crisis:detail", crisis_pk)
    t = rollcall.tally(roll_call)
    if created:
        messages.success(
            request,
            _("Roll call sent to %(n)s people in %(unit)s.")
            % {"n": t.recipients, "unit": roll_call.unit.name},
        )
    else:
        messages.info(request, _("This roll call was already sent: nobody was asked twice."))
    return redirect("crisis:detail", crisis.pk)


WarRoomSerializer = inline_serializer(
    "WarRoom",
    {
        "id": serializers.IntegerField(),
        "channel": serializers.CharField(),
        "chat_id": serializers.CharField(),
        "members": serializers.ListField(child=serializers.CharField()),
    },
)


class WarRoomOpenView(APIView):
    """Open the crisis's group chat on DingTalk, WeCom or Feishu with its participants (one per
    crisis and IM: a repeat answers 200 with the same room)."""

    @extend_schema(
        request=inline_serializer("WarRoomOpen", {"channel": serializers.CharField()}),
        responses={201: WarRoomSerializer, 200: WarRoomSerializer},
    )
    def post(self, request, crisis_id: int):
        crisis = crises_visible_to(request.user).filter(pk=crisis_id).first()
        if crisis is None:
            raise NotFound(_("No such crisis."))
        data = request.data if isinstance(request.data, dict) else {}
        channel = data.get("channel")
        if not isinstance(channel, str):
            raise ValidationFailed(_("A war room is on DingTalk, WeCom or Feishu."))
        room, created = war_room_open(crisis=crisis, channel=channel, actor=request.user)
        return Response(
            {
                "id": room.pk,
                "channel": room.provider.channel,
                "chat_id": room.chat_id,
                "members": room.members,
            },
            status=status.HTTP_201_CREATED if created else 200,
        )
