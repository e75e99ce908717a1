"""Contact channels of a person: which channels exist, how an address of each looks, and in
which order a message tries them (the person's own order, quiet hours, severity overrides).

Pure: no ORM. ``ContactCard.of(employee)`` reads the fields an ``Employee`` carries; everything
else works on the card, so the ladder and the tests need no database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    """A way to reach a person (the names of the deliveries API)."""

    INAPP = "inapp", _("In-app")
    EMAIL = "email", _("E-mail")
    DINGTALK = "dingtalk", _("DingTalk")
    WECOM = "wecom", _("WeCom")
    FEISHU = "feishu", _("Feishu")
    SMS = "sms", _("SMS")
    VOICE = "voice", _("Voice call")


IM_CHANNELS = (Channel.DINGTALK, Channel.WECOM, Channel.FEISHU)
# Tried when the person has not chosen an order: in-app and IM first, then SMS, then voice.
DEFAULT_ORDER: tuple[str, ...] = (
    Channel.INAPP,
    Channel.DINGTALK,
    Channel.WECOM,
    Channel.FEISHU,
    Channel.EMAIL,
    Channel.SMS,
    Channel.VOICE,
)
# Severities whose messages ignore quiet hours (crisis.choices.Severity values).
OVERRIDE_QUIET_HOURS = frozenset({"high", "critical"})
# Channels that make a sound on the phone: held during quiet hours (in-app and e-mail wait).
INTERRUPTING = frozenset(
    {Channel.DINGTALK, Channel.WECOM, Channel.FEISHU, Channel.SMS, Channel.VOICE}
)

MOBILE_RE = re.compile(r"^\+?[1-9]\d{6,14}$")
# DingTalk / WeCom user ids: what the IM admin console shows (letters, digits, _ - . @).
IM_USER_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
FEISHU_OPEN_ID_RE = re.compile(r"^ou_[A-Za-z0-9]{8,60}$")


def validate_mobile(value: str) -> None:
    if value and not MOBILE_RE.match(value):
        raise ValidationError(
            _(
                "Enter a mobile number of digits only, with an optional leading + (e.g. +8613800138000)."
            ),
            code="mobile",
        )


def validate_im_user_id(value: str) -> None:
    if value and not IM_USER_ID_RE.match(value):
        raise ValidationError(
            _("A user id has letters, digits and _ - . @ only (at most 64)."), code="im_user_id"
        )


def validate_feishu_open_id(value: str) -> None:
    if value and not FEISHU_OPEN_ID_RE.match(value):
        raise ValidationError(
            _("A Feishu open id starts with “ou_” followed by letters and digits."),
            code="feishu_open_id",
        )


def parse_channel_order(value: str) -> tuple[str, ...]:
    """``"dingtalk, sms"`` → ``("dingtalk", "sms")``; empty → the default order."""
    names = [part.strip().lower() for part in (value or "").split(",") if part.strip()]
    return tuple(names) if names else DEFAULT_ORDER


def validate_channel_order(value: str) -> None:
    names = [part.strip().lower() for part in (value or "").split(",") if part.strip()]
    unknown = [n for n in names if n not in Channel.values]
    if unknown:
        raise ValidationError(
            _("Unknown channel “%(name)s”; use %(known)s.")
            % {"name": unknown[0], "known": ", ".join(Channel.values)},
            code="channel_order",
        )
    if len(set(names)) != len(names):
        raise ValidationError(_("Name each channel once."), code="channel_order")


@dataclass(frozen=True)
class ContactCard:
    """Where a person can be reached, read off their employee record."""

    employee_id: int | None
    user_id: int | None
    email: str = ""
    mobile: str = ""
    dingtalk_user_id: str = ""
    wecom_user_id: str = ""
    feishu_open_id: str = ""
    channel_order: tuple[str, ...] = DEFAULT_ORDER
    quiet_hours_start: time | None = None
    quiet_hours_end: time | None = None
    time_zone: str = "Asia/Shanghai"
    manager_employee_id: int | None = None

    @classmethod
    def of(cls, employee) -> ContactCard:
        user = employee.user
        return cls(
            employee_id=employee.pk,
            user_id=employee.user_id,
            email=getattr(user, "email", "") or "",
            mobile=employee.mobile,
            dingtalk_user_id=employee.dingtalk_user_id,
            wecom_user_id=employee.wecom_user_id,
            feishu_open_id=employee.feishu_open_id,
            channel_order=parse_channel_order(employee.channel_order),
            quiet_hours_start=employee.quiet_hours_start,
            quiet_hours_end=employee.quiet_hours_end,
            time_zone=employee.time_zone,
            manager_employee_id=employee.manager_id,
        )

    def address(self, channel: str) -> str:
        """The person's address on ``channel`` ("" when they have none there)."""
        return {
            Channel.INAPP: str(self.user_id) if self.user_id else "",
            Channel.EMAIL: self.email,
            Channel.DINGTALK: self.dingtalk_user_id,
            Channel.WECOM: self.wecom_user_id,
            Channel.FEISHU: self.feishu_open_id,
            Channel.SMS: self.mobile,
            Channel.VOICE: self.mobile,
        }.get(channel, "")

    def in_quiet_hours(self, now: datetime) -> bool:
        """Whether ``now`` falls in the person's quiet hours, in their own time zone. A window
        may cross midnight (22:00–07:00); start == end means none."""
        start, end = self.quiet_hours_start, self.quiet_hours_end
        if start is None or end is None or start == end:
            return False
        try:
            zone = ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("Asia/Shanghai")
        local = now.astimezone(zone).time().replace(tzinfo=None)
        if start < end:
            return start <= local < end
        return local >= start or local < end


@dataclass(frozen=True)
class PlannedChannel:
    """One rung of a person's ladder: a channel with an address, or why it is skipped."""

    channel: str
    address: str = ""
    skipped: str = ""  # "no_address" | "quiet_hours"; empty when the channel is used


@dataclass(frozen=True)
class ChannelPlan:
    """The channels a message tries for one person, in order, with the ones it skips."""

    rungs: tuple[PlannedChannel, ...] = field(default_factory=tuple)

    @property
    def usable(self) -> tuple[PlannedChannel, ...]:
        return tuple(r for r in self.rungs if not r.skipped)

    @property
    def skipped(self) -> tuple[PlannedChannel, ...]:
        return tuple(r for r in self.rungs if r.skipped)


def channel_plan(
    card: ContactCard,
    *,
    severity: str,
    now: datetime,
    available: frozenset[str] | None = None,
) -> ChannelPlan:
    """The person's channels in their order; channels they have no address on are skipped
    ("no_address"), and so are interrupting channels during their quiet hours unless the
    severity is high or critical ("quiet_hours"). Channels outside ``available`` (not
    configured in this deployment) are left out. In-app always comes first and is always
    used: it is the record of the message."""
    order = [Channel.INAPP] + [c for c in card.channel_order if c != Channel.INAPP]
    # Channels the person left out of their order still come last: their order says what to
    # try first, not what never to use in a crisis.
    order += [c for c in DEFAULT_ORDER if c not in order]
    quiet = severity not in OVERRIDE_QUIET_HOURS and card.in_quiet_hours(now)
    rungs = []
    for channel in order:
        if available is not None and channel != Channel.INAPP and channel not in available:
            continue
        address = card.address(channel)
        if not address:
            rungs.append(PlannedChannel(channel, skipped="no_address"))
        elif quiet and channel in INTERRUPTING:
            rungs.append(PlannedChannel(channel, address, skipped="quiet_hours"))
        else:
            rungs.append(PlannedChannel(channel, address))
    return ChannelPlan(tuple(rungs))


class DeliveryState(models.TextChoices):
    """Where one (message, recipient, channel) delivery stands (the deliveries API's names)."""

    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    READ = "read", _("Read")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    FAILED = "failed", _("Failed")


# States only move forward: a late "delivered" callback never undoes a "read".
STATE_RANK = {
    DeliveryState.QUEUED: 0,
    DeliveryState.SENT: 1,
    DeliveryState.DELIVERED: 2,
    DeliveryState.READ: 3,
    DeliveryState.ACKNOWLEDGED: 4,
}


def state_after(current: str, event: str) -> str | None:
    """The state a provider event moves a delivery to, or None when it changes nothing (an
    older or repeated event, or anything after a failure or an acknowledgement)."""
    if current in (DeliveryState.FAILED, DeliveryState.ACKNOWLEDGED):
        return None
    if event == DeliveryState.FAILED:
        return (
            DeliveryState.FAILED if current in (DeliveryState.QUEUED, DeliveryState.SENT) else None
        )
    if event not in STATE_RANK or STATE_RANK[event] <= STATE_RANK[current]:
        return None
    return event
