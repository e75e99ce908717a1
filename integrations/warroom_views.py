"""The crisis page's war-room section (issue 13 §7): its group chats on DingTalk, WeCom or
Feishu — open since when, with how many members, or closed with the crisis — and, for the
crisis's managers and executives, a button per configured IM to open one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hrcore.contact import IM_CHANNELS, Channel
from hrcore.errors import KeelError

from .models import ChannelProvider, WarRoom
from .reach_views import crisis_for_ledger
from .warroom import war_room_open


def war_room_context(crisis) -> dict:
    """The crisis's rooms and the IMs one could still be opened on (two queries)."""
    labels = dict(Channel.choices)
    rooms = [
        {
            "room": room,
            "channel": room.provider.channel,
            "label": labels.get(room.provider.channel, room.provider.channel),
            "members": len(room.members or []),
        }
        for room in WarRoom.objects.filter(crisis_id=crisis.pk)
        .select_related("provider")
        .order_by("opened_at", "id")
    ]
    taken = {r["channel"] for r in rooms}
    configured = set(
        ChannelProvider.objects.filter(enabled=True, channel__in=IM_CHANNELS).values_list(
            "channel", flat=True
        )
    )
    openable = [
        {"channel": c, "label": labels[c]}
        for c in IM_CHANNELS
        if c in configured and c not in taken and crisis.is_open
    ]
    return {"crisis": crisis, "rooms": rooms, "openable": openable}


@login_required
def crisis_war_room_panel(request, crisis_pk: int):
    """htmx fragment of the crisis page (its managers and executives)."""
    try:
        crisis = crisis_for_ledger(request.user, crisis_pk)
    except KeelError as exc:
        raise Http404 from exc
    return render(request, "integrations/crisis_war_room_panel.html", war_room_context(crisis))


@login_required
@require_POST
def crisis_war_room_open(request, crisis_pk: int):
    """The crisis page's "open a war room on <IM>" button."""
    try:
        crisis = crisis_for_ledger(request.user, crisis_pk)
    except KeelError as exc:
        raise Http404 from exc
    channel = request.POST.get("channel", "")
    try:
        room, created = war_room_open(crisis=crisis, channel=channel, actor=request.user)
    except KeelError as exc:
        messages.error(request, exc.message)
    else:
        label = dict(Channel.choices).get(room.provider.channel, room.provider.channel)
        if created:
            messages.success(
                request,
                _("The war room on %(im)s is open with %(n)s members.")
                % {"im": label, "n": len(room.members)},
            )
        else:
            messages.info(request, _("The war room on %(im)s was already open.") % {"im": label})
    return redirect("crisis:detail", crisis.pk)
