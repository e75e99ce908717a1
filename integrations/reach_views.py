"""Pages and API of the reach ledger: the crisis page's deliveries section (htmx fragment),
``GET /api/v1/crises/{id}/deliveries/`` and the providers' signed callbacks."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from crisis.models import Decision
from crisis.selectors.access import can_manage, crises_visible_to
from hrcore.api.permissions import ReadScope
from hrcore.contact import Channel, DeliveryState
from hrcore.errors import KeelError, NotFound, PermissionDenied
from hrcore.reach import (
    IN_FLIGHT,
    INTERRUPTED_NOT_RESENT,
    SKIP_REASONS,
    decision_ack_counts,
    decision_notification_of,
    deliveries_of_crisis,
    effective_state,
    notification_acknowledge,
    recipient_label,
)

from . import reach


def crisis_for_ledger(user, crisis_id: int):
    """The crisis when ``user`` may see its deliveries: its managers and executives (and the
    filer, HR admins — ``crisis.selectors.can_manage``). Others who see the crisis get 403,
    everyone else 404."""
    crisis = crises_visible_to(user).filter(pk=crisis_id).first()
    if crisis is None:
        raise NotFound(_("No such crisis."))
    if not can_manage(user, crisis):
        raise PermissionDenied(_("Only the crisis's managers and executives see its deliveries."))
    return crisis


# What the crisis page's ledger says for each message kind and for the reasons Keel writes (the
# API keeps the codes and Keel's English reasons; the providers' own words are shown as codes).
KIND_LABELS = {
    "task.assigned": _lazy("Task assigned"),
    "task.warning": _lazy("Deadline warning"),
    "task.escalated": _lazy("Task escalated"),
    "task.breached": _lazy("Deadline missed"),
    "decision.made": _lazy("Decision"),
    "decision.reminder": _lazy("Decision reminder"),
    "crisis.filed": _lazy("Crisis filed"),
    "crisis.invited": _lazy("Invited to the crisis"),
    "ladder.manager": _lazy("Manager told: no acknowledgement"),
    "rollcall": _lazy("Roll call"),
    "rollcall.need_help": _lazy("Someone needs help"),
    "rollcall.no_answer": _lazy("No answer to the roll call"),
}
REASON_LABELS = {
    SKIP_REASONS["no_address"]: _lazy("Skipped: no address on this channel"),
    SKIP_REASONS["quiet_hours"]: _lazy("Skipped: the person's quiet hours"),
    SKIP_REASONS["not_configured"]: _lazy("Skipped: channel not configured"),
    "not sent: acknowledged before this channel was needed": _lazy(
        "Not sent: acknowledged before this channel was needed"
    ),
    IN_FLIGHT: _lazy("Handed to the provider, no answer yet"),
    INTERRUPTED_NOT_RESENT: _lazy(
        "Outcome unknown (the worker stopped during the send): not sent again, the provider "
        "does not deduplicate"
    ),
    "the provider reported a failure": _lazy("The provider reported a failure"),
}
REASON_PREFIXES = {
    "rate limited: ": _lazy("Rate limited, sent again later:"),
    "gave up: ": _lazy("Gave up:"),
}


def reason_parts(reason: str) -> tuple[str, str]:
    """A ledger reason as (Keel's words in the reader's language, the provider's words)."""
    if not reason:
        return "", ""
    if reason in REASON_LABELS:
        return str(REASON_LABELS[reason]), ""
    for prefix, label in REASON_PREFIXES.items():
        if reason.startswith(prefix):
            return str(label), reason[len(prefix) :]
    return "", reason


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
                "notification_id": d.notification_id,
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
        "notification_id": serializers.IntegerField(allow_null=True),
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


CALLBACK_REFUSAL = inline_serializer(
    "ChannelCallbackRefusal",
    {
        "status": serializers.IntegerField(),
        "code": serializers.CharField(),
        "detail": serializers.CharField(),
    },
)


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
            # Refusals: 400 malformed, 401 forged or stale, 404 unknown channel or message (the
            # provider retries), 409 replay.
            **{code: CALLBACK_REFUSAL for code in (400, 401, 404, 409)},
        },
    )
    def post(self, request, channel: str):
        try:
            delivery = reach.callback_receive(
                channel=channel, body=request.body, headers=request.headers
            )
        except reach.CallbackRefused as exc:
            return Response(
                {"status": exc.status, "code": exc.code, "detail": exc.reason}, status=exc.status
            )
        return Response(
            {"applied": delivery is not None, "state": delivery.state if delivery else ""}
        )


@login_required
def crisis_deliveries_panel(request, crisis_pk: int):
    """The crisis page's deliveries section (htmx fragment, polls itself)."""
    try:
        crisis = crisis_for_ledger(request.user, crisis_pk)
    except KeelError as exc:
        raise Http404 from exc
    return render(request, "integrations/crisis_deliveries_panel.html", ledger_context(crisis))


LEDGER_MESSAGES_SHOWN = 100


def ledger_context(crisis) -> dict:
    """The ledger as the crisis page shows it: one line per (message, recipient) — latest first —
    with each channel tried and how far it got; the counts per state over every row."""
    rows = delivery_rows(crisis.pk)
    channels, states = dict(Channel.choices), dict(DeliveryState.choices)
    counts: dict[str, int] = {}
    messages: dict[tuple, dict] = {}
    for row in rows:
        counts[row["state"]] = counts.get(row["state"], 0) + 1
        row["channel_label"] = channels.get(row["channel"], row["channel"])
        row["state_label"] = states.get(row["state"], row["state"])
        row["reason_label"], row["reason_detail"] = reason_parts(row["reason"])
        key = (row["notification_id"] or f"{row['kind']}:{row['id']}", row["recipient"]["id"])
        line = messages.setdefault(
            key,
            {
                "recipient": row["recipient"],
                "kind": row["kind"],
                "kind_label": KIND_LABELS.get(row["kind"], ""),
                "created_at": row["created_at"],
                "updated_at": row["updated_at"],
                "acknowledged": False,
                "channels": [],
            },
        )
        line["channels"].append(row)
        line["updated_at"] = max(line["updated_at"], row["updated_at"])
        line["acknowledged"] |= row["state"] == DeliveryState.ACKNOWLEDGED
    lines = sorted(
        messages.values(),
        key=lambda m: (m["created_at"], m["recipient"]["name"]),
        reverse=True,
    )
    for line in lines:
        line["channels"].sort(key=lambda r: (r["rung"], r["id"]))
    return {
        "crisis": crisis,
        "lines": lines[:LEDGER_MESSAGES_SHOWN],
        "hidden": max(0, len(lines) - LEDGER_MESSAGES_SHOWN),
        "rows": rows,
        "counts": [(label, counts.get(value, 0)) for value, label in DeliveryState.choices],
    }


# --- decision acknowledgements ------------------------------------------------------------------


def _decision_of(crisis_id: int, decision_id: int):
    decision = Decision.objects.filter(pk=decision_id, crisis_id=crisis_id).first()
    if decision is None:
        raise NotFound(_("No such decision in this crisis."))
    return decision


def _visible_crisis_or_404(user, crisis_id: int):
    crisis = crises_visible_to(user).filter(pk=crisis_id).first()
    if crisis is None:
        raise NotFound(_("No such crisis."))
    return crisis


AckCountsSerializer = inline_serializer(
    "DecisionAcknowledgements",
    {
        "decision_id": serializers.IntegerField(),
        "acknowledged": serializers.IntegerField(),
        "pending": serializers.IntegerField(),
        "acknowledged_now": serializers.BooleanField(),
    },
)


class DecisionAcknowledgeView(APIView):
    """A participant acknowledges a decision (once; repeating it changes nothing)."""

    @extend_schema(request=None, responses={200: AckCountsSerializer})
    def post(self, request, crisis_id: int, decision_id: int):
        crisis = _visible_crisis_or_404(request.user, crisis_id)
        decision = _decision_of(crisis.pk, decision_id)
        notification = decision_notification_of(decision.pk, request.user.pk)
        if notification is None:
            raise PermissionDenied(
                _("Only the participants the decision was sent to acknowledge it.")
            )
        now = notification_acknowledge(notification=notification, via="inapp")
        counts = decision_ack_counts([decision.pk])[decision.pk]
        return Response(
            {
                "decision_id": decision.pk,
                "acknowledged": counts.acknowledged,
                "pending": counts.pending,
                "acknowledged_now": now,
            }
        )


def decision_acks_context(user, crisis) -> dict:
    """Per decision of the crisis: "n of m acknowledged", who has not, and whether this viewer
    may remind them (the crisis's managers and executives) or still has to acknowledge."""
    from django.contrib.auth import get_user_model

    decisions = list(Decision.objects.filter(crisis=crisis).order_by("-made_at", "-id"))
    counts = decision_ack_counts([d.pk for d in decisions])
    pending_ids = {u for c in counts.values() for u in c.pending_user_ids}
    users = {
        u.pk: u
        for u in get_user_model().objects.filter(pk__in=pending_ids).select_related("employee")
    }
    rows = []
    for decision in decisions:
        c = counts[decision.pk]
        rows.append(
            {
                "decision": decision,
                "acknowledged": c.acknowledged,
                "total": c.acknowledged + c.pending,
                "pending": [recipient_label(users[u]) for u in c.pending_user_ids if u in users],
                "mine_pending": user.pk in c.pending_user_ids,
            }
        )
    return {"crisis": crisis, "rows": rows, "may_remind": can_manage(user, crisis)}


@login_required
def crisis_decision_acks_panel(request, crisis_pk: int):
    """The crisis page's "7 of 9 acknowledged" per decision, with who has not (htmx)."""
    try:
        crisis = _visible_crisis_or_404(request.user, crisis_pk)
    except KeelError as exc:
        raise Http404 from exc
    return render(
        request,
        "integrations/crisis_decision_acks_panel.html",
        decision_acks_context(request.user, crisis),
    )


@login_required
def crisis_decision_ack(request, crisis_pk: int, decision_pk: int):
    """The crisis page's acknowledge button (POST)."""
    from django.shortcuts import redirect

    if request.method != "POST":
        raise Http404
    try:
        crisis = _visible_crisis_or_404(request.user, crisis_pk)
        decision = _decision_of(crisis.pk, decision_pk)
    except KeelError as exc:
        raise Http404 from exc
    notification = decision_notification_of(decision.pk, request.user.pk)
    if notification is not None:
        notification_acknowledge(notification=notification, via="inapp")
    return redirect("crisis:detail", crisis.pk)


@login_required
def crisis_decision_remind(request, crisis_pk: int, decision_pk: int):
    """Remind the participants who have not acknowledged a decision (managers, executives)."""
    from django.contrib import messages
    from django.shortcuts import redirect

    if request.method != "POST":
        raise Http404
    try:
        crisis = crisis_for_ledger(request.user, crisis_pk)
        decision = _decision_of(crisis.pk, decision_pk)
    except KeelError as exc:
        raise Http404 from exc
    count = reach.decision_remind(decision=decision, actor=request.user)
    messages.success(
        request,
        _("Reminded %(count)s participants who have not acknowledged the decision.")
        % {"count": count},
    )
    back = request.POST.get("next", "")  # the dashboard's remind button comes back to it
    if back and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(back)
    return redirect("crisis:detail", crisis.pk)
