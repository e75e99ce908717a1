"""The war room (issue 13 §7): optionally a group chat per crisis on DingTalk, WeCom or Feishu
with the crisis's participants; decisions and status changes (warnings, breaches, closure) are
posted there through the outbox (channel ``warroom``, retried on its own); it is closed with the
crisis."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from crisis.selectors.access import can_manage
from crisis.selectors.people import crisis_participant_users
from hrcore.claims import insert_once
from hrcore.contact import IM_CHANNELS, ContactCard
from hrcore.errors import Conflict, PermissionDenied, ValidationFailed
from hrcore.models import Employee
from hrcore.services.outbox import PermanentDeliveryError, outbox_enqueue, register_outbox_handler

from . import adapters
from .adapters import groupchat
from .models import WarRoom
from .reach import provider_for

WARROOM_CHANNEL = "warroom"
DRILL_MARK = ("【演练】", "[DRILL] ")  # a drill's group chat and posts (issue 16)
POSTED_EVENTS = {
    "decision.made": ("决策", "Decision"),
    "task.warning": ("截止时间预警", "Deadline warning"),
    "task.breached": ("已超过截止时间", "Deadline missed"),
    "crisis.closed": ("危机已关闭", "Crisis closed"),
}


def war_room_open(*, crisis, channel: str, actor) -> tuple[WarRoom, bool]:
    """Create the crisis's group chat on ``channel`` with every participant who has an id
    there (those without are listed as skipped). One per crisis and IM: returns the room and
    whether this call created it."""
    if not can_manage(actor, crisis):
        raise PermissionDenied(_("Only the crisis's managers and executives open a war room."))
    if channel not in IM_CHANNELS:
        raise ValidationFailed(_("A war room is on DingTalk, WeCom or Feishu."))
    if not crisis.is_open:
        raise ValidationFailed(_("The crisis is closed."))
    existing = WarRoom.objects.filter(crisis_id=crisis.pk, provider__channel=channel).first()
    if existing is not None:
        return existing, False
    provider = provider_for(channel)
    if provider is None:
        raise ValidationFailed(_("This IM is not configured."))
    users = [*crisis_participant_users(crisis), actor]
    employees = Employee.objects.filter(user__in=users).select_related("user")
    ids = []
    for employee in employees:
        address = ContactCard.of(employee).address(channel)
        if address and address not in ids:
            ids.append(address)
    owner = ContactCard.of(actor.employee).address(channel) if hasattr(actor, "employee") else ""
    if not ids:
        raise ValidationFailed(_("No participant has an id on this IM."))
    adapter = adapters.adapter_for(provider.config())
    try:
        chat_id = groupchat.chat_create(
            adapter,
            name=f"{''.join(DRILL_MARK) if crisis.is_drill else ''}Keel #{crisis.pk} {crisis.title}",
            owner=owner or ids[0],
            members=ids,
        )
    except adapters.AdapterError as exc:
        raise Conflict(_("The IM refused the group: %(reason)s") % {"reason": exc.reason}) from exc
    room = insert_once(
        WarRoom, crisis_id=crisis.pk, provider=provider, chat_id=chat_id, members=ids
    )
    if room is not None:
        return room, True
    # a concurrent open of the same room won
    return WarRoom.objects.get(crisis_id=crisis.pk, provider=provider), False


def war_room_event(*, event: str, crisis_id, data: dict, key: str, drill: bool = False) -> int:
    """Queue a post of a crisis event into each open war room of the crisis (called by the
    event outbox fan-out; a drill's posts are marked 演练 / DRILL). Returns how many posts were
    queued."""
    if event not in POSTED_EVENTS or not crisis_id:
        return 0
    queued = 0
    for room in WarRoom.objects.filter(crisis_id=int(crisis_id), closed_at__isnull=True):
        queued += bool(
            outbox_enqueue(
                channel=WARROOM_CHANNEL,
                dedupe_key=f"warroom:{room.pk}:{key}"[:200],
                payload={
                    "war_room_id": room.pk,
                    "event": event,
                    "data": data or {},
                    **({"drill": True} if drill else {}),
                },
            )
        )
    return queued


def _deliver(message) -> None:
    room = (
        WarRoom.objects.select_related("provider")
        .filter(pk=message.payload.get("war_room_id"))
        .first()
    )
    if room is None or room.closed_at is not None:
        return
    event = message.payload.get("event", "")
    zh, en = POSTED_EVENTS.get(event, (event, event))
    if message.payload.get("drill"):
        zh, en = f"{DRILL_MARK[0]}{zh}", f"{DRILL_MARK[1]}{en}"
    data = message.payload.get("data") or {}
    text = str(data.get("text") or data.get("title") or data.get("outcome") or "")[:1000]
    adapter = adapters.adapter_for(room.provider.config())
    try:
        if event == "crisis.closed":
            groupchat.chat_close(adapter, chat_id=room.chat_id, title=f"{zh} / {en}", text=text)
            WarRoom.objects.filter(pk=room.pk).update(closed_at=timezone.now())
        else:
            groupchat.chat_post(adapter, chat_id=room.chat_id, title=f"{zh} / {en}", text=text)
    except adapters.PermanentError as exc:
        raise PermanentDeliveryError(exc.reason) from exc


register_outbox_handler(WARROOM_CHANNEL, _deliver)
