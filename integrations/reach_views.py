"""Pages and API of the reach ledger: the crisis page's deliveries section (htmx fragment),
``GET /api/v1/crises/{id}/deliveries/`` and the providers' signed callbacks."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from hrcore.api.permissions import ReadScope
from hrcore.contact import Channel, DeliveryState
from hrcore.errors import NotFound, PermissionDenied
from hrcore.reach import deliveries_of_crisis, effective_state, recipient_label

from . import reach


def crisis_for_ledger(user, crisis_id: int):
    """The crisis when ``user`` may see its deliveries: its managers and executives (and the
    filer, HR admins — ``crisis.selectors.can_manage``). Others who see the crisis get 403,
    everyone else 404."""
    try:
        from crisis.selectors.access import can_manage, crises_visible_to
    except ImportError:  # the crisis selectors before their split into modules (issue 9)
        from crisis.selectors import can_manage, crises_visible_to

    crisis = crises_visible_to(user).filter(pk=crisis_id).first()
    if crisis is None:
        raise NotFound(_("No such crisis."))
    if not can_manage(user, crisis):
        raise PermissionDenied(_("Only the crisis's managers and executives see its deliveries."))
    return crisis


def delivery_rows(crisis_id: int) -> list[dict]:
    rows = []
    for d in deliveries_of_crisis(crisis_id):
        rows.append(
            {
                "id": d.pk,
                "recipient": {
                    "id": d.recipient_id,
                    "username": d.recipient.get_username(),
                    "name": recipient_label(d.recipient),
                },
                "kind": d.kind,
                "channel": d.channel,
                "state": effective_state(d),
                "attempts": d.attempts,
                "rung": d.rung,
                "reason": d.reason,
                "provider_message_id": d.provider_message_id,
                "needs_ack": d.needs_ack,
                "created_at": d.created_at,
                "updated_at": d.updated_at,
            }
        )
    return rows


DeliveryList = inline_serializer(
    "Delivery",
    many=True,
    fields={
        "id": serializers.IntegerField(),
        "recipient": serializers.JSONField(),
        "kind": serializers.CharField(),
        "channel": serializers.ChoiceField(choices=Channel.choices),
        "state": serializers.ChoiceField(choices=DeliveryState.choices),
        "attempts": serializers.IntegerField(),
        "rung": serializers.IntegerField(),
        "reason": serializers.CharField(),
        "provider_message_id": serializers.CharField(),
        "needs_ack": serializers.BooleanField(),
        "created_at": serializers.DateTimeField(),
        "updated_at": serializers.DateTimeField(),
    },
)


class CrisisDeliveriesView(APIView):
    """Every message of the crisis per recipient and channel, with its state."""

    permission_classes = [ReadScope]

    @extend_schema(responses={200: DeliveryList})
    def get(self, request, crisis_id: int):
        crisis = crisis_for_ledger(request.user, crisis_id)
        rows = delivery_rows(crisis.pk)
        for row in rows:
            for field in ("created_at", "updated_at"):
                row[field] = row[field].isoformat()
        return Response(rows)


@method_decorator(csrf_exempt, name="dispatch")
class ChannelCallbackView(APIView):
    """A messaging provider's signed delivery / read / failed / acknowledged callback
    (``X-Keel-Signature`` over timestamp, event id and body with the provider's callback
    secret). Forged or stale: 401; replayed event id: 409; nothing changes for either."""

    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes: list = []

    @extend_schema(
        request=inline_serializer(
            "ChannelCallback",
            {"event": serializers.CharField(), "message_id": serializers.CharField()},
        ),
        responses={
            200: inline_serializer(
                "ChannelCallbackApplied",
                {"applied": serializers.BooleanField(), "state": serializers.CharField()},
            ),
        },
    )
    def post(self, request, channel: str):
        try:
            delivery = reach.callback_receive(
                channel=channel, body=request.body, headers=request.headers
            )
        except reach.CallbackRefused as exc:
            return Response({"code": exc.code, "detail": exc.reason}, status=exc.status)
        return Response(
            {"applied": delivery is not None, "state": delivery.state if delivery else ""}
        )


@login_required
def crisis_deliveries_panel(request, crisis_pk: int):
    """The crisis page's deliveries section (htmx fragment, polls itself)."""
    from hrcore.errors import KeelError

    try:
        crisis = crisis_for_ledger(request.user, crisis_pk)
    except KeelError as exc:
        raise Http404 from exc
    rows = delivery_rows(crisis.pk)
    channels, states = dict(Channel.choices), dict(DeliveryState.choices)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["state"]] = counts.get(row["state"], 0) + 1
        row["channel_label"] = channels.get(row["channel"], row["channel"])
        row["state_label"] = states.get(row["state"], row["state"])
    return render(
        request,
        "integrations/crisis_deliveries_panel.html",
        {
            "crisis": crisis,
            "rows": rows,
            "counts": [(label, counts.get(value, 0)) for value, label in DeliveryState.choices],
        },
    )
