"""Every write to the organisation, plus the resolver and the notification/outbox plumbing."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import DepartmentFunction, OutboxStatus, UnitKind
from .errors import AssigneeNotFound, ValidationFailed
from .models import (
    Absence,
    ApiToken,
    Employee,
    Heartbeat,
    Notification,
    OrgUnit,
    OutboxMessage,
    Position,
)

logger = logging.getLogger(__name__)
User = get_user_model()


# --- Organisation units --------------------------------------------------------------------


def _validate_unit(
    *, unit_id: int | None, kind: str, function: str, parent: OrgUnit | None
) -> None:
    errors: dict[str, str] = {}
    if kind not in UnitKind.values:
        errors["kind"] = _("Unknown unit kind “%(kind)s”.") % {"kind": kind}
    if kind == UnitKind.DEPARTMENT:
        if function not in DepartmentFunction.values:
            errors["function"] = _(
                "Unknown department function “%(function)s”. Use one of: %(choices)s."
            ) % {
                "function": function,
                "choices": ", ".join(DepartmentFunction.values),
            }
    elif function:
        errors["function"] = _("Only departments have a function.")
    if kind == UnitKind.GROUP and parent is not None:
        errors["parent"] = _("The group is the root of the tree and has no parent unit.")
    if kind != UnitKind.GROUP and parent is None:
        errors["parent"] = _("Every subsidiary and department needs a parent unit.")
    if parent is not None and unit_id is not None and unit_id in parent.ancestor_ids():
        errors["parent"] = _("A unit cannot be placed under itself or one of its own sub-units.")
    if errors:
        raise ValidationFailed(_("The organisation unit is not valid."), errors=errors)


def _refresh_paths(unit: OrgUnit) -> None:
    """Recompute the materialised path of ``unit`` and all units below it."""
    parent_path = unit.parent.path if unit.parent_id else "/"
    old_path = unit.path
    unit.path = f"{parent_path}{unit.pk}/"
    unit.depth = unit.path.count("/") - 2
    OrgUnit.objects.filter(pk=unit.pk).update(path=unit.path, depth=unit.depth)
    if old_path and old_path != unit.path:
        for child in OrgUnit.objects.filter(path__startswith=old_path).exclude(pk=unit.pk):
            child.path = unit.path + child.path[len(old_path) :]
            child.depth = child.path.count("/") - 2
            child.save(update_fields=["path", "depth"])


@transaction.atomic
def org_unit_save(
    *, unit: OrgUnit | None = None, actor: User | None = None, **fields: object
) -> OrgUnit:
    """Create (``unit=None``) or edit a unit; refuses cycles and functions outside departments."""
    unit = unit or OrgUnit()
    for name, value in fields.items():
        setattr(unit, name, value)
    parent = OrgUnit.objects.filter(pk=unit.parent_id).first() if unit.parent_id else None
    _validate_unit(unit_id=unit.pk, kind=unit.kind, function=unit.function or "", parent=parent)
    if not unit.code:
        raise ValidationFailed(
            _("The unit needs a code."), errors={"code": _("This field is required.")}
        )
    if OrgUnit.objects.filter(code=unit.code).exclude(pk=unit.pk).exists():
        raise ValidationFailed(
            _("A unit with code “%(code)s” already exists.") % {"code": unit.code},
            errors={"code": _("Already used.")},
        )
    unit.save()
    _refresh_paths(unit)
    return unit


# --- Employees -----------------------------------------------------------------------------


def _validate_employee(employee: Employee) -> None:
    errors: dict[str, str] = {}
    try:
        ZoneInfo(employee.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        errors["time_zone"] = _("Unknown time zone “%(tz)s”.") % {"tz": employee.time_zone}
    if employee.manager_id:
        manager = Employee.objects.select_related("unit").get(pk=employee.manager_id)
        if employee.pk and manager.pk == employee.pk:
            errors["manager"] = _("An employee cannot be their own manager.")
        elif employee.pk:
            seen = {employee.pk}
            cursor: Employee | None = manager
            while cursor is not None:
                if cursor.pk in seen:
                    errors["manager"] = _(
                        "This manager would create a cycle in the reporting line."
                    )
                    break
                seen.add(cursor.pk)
                cursor = cursor.manager
        unit = OrgUnit.objects.get(pk=employee.unit_id)
        if manager.unit.ancestor_ids()[-1] != unit.ancestor_ids()[-1]:
            errors["manager"] = _("The manager must belong to the same group.")
    if errors:
        raise ValidationFailed(_("The employee record is not valid."), errors=errors)


@transaction.atomic
def employee_save(*, employee: Employee, actor: User | None = None) -> Employee:
    """Validate (reporting-line cycles, time zone, same group) and save an employee."""
    _validate_employee(employee)
    employee.save()
    return employee


@transaction.atomic
def employee_create(
    *,
    username: str,
    password: str | None,
    name_zh: str,
    name_en: str,
    unit: OrgUnit,
    position: Position | None = None,
    manager: Employee | None = None,
    grade: int = 1,
    email: str = "",
    roles: Iterable[str] = (),
    language: str = "zh-hans",
    time_zone: str = "Asia/Shanghai",
    phone: str = "",
    actor: User | None = None,
) -> Employee:
    """Create a user account and its employee record in one step."""
    if User.objects.filter(username=username).exists():
        raise ValidationFailed(
            _("The user name “%(username)s” is taken.") % {"username": username},
            errors={"username": _("Already used.")},
        )
    user = User(username=username, email=email, first_name=name_en)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    employee = Employee(
        user=user,
        name_zh=name_zh,
        name_en=name_en,
        unit=unit,
        position=position,
        manager=manager,
        grade=grade,
        language=language,
        time_zone=time_zone,
        phone=phone,
    )
    return employee_save(employee=employee, actor=actor)


@transaction.atomic
def absence_record(
    *,
    employee: Employee,
    starts_at: datetime,
    ends_at: datetime,
    delegate: Employee | None = None,
    reason: str = "",
    actor: User | None = None,
) -> Absence:
    """Record an absence; the delegate must be someone else."""
    errors: dict[str, str] = {}
    if ends_at <= starts_at:
        errors["ends_at"] = _("The absence must end after it starts.")
    if delegate is not None and delegate.pk == employee.pk:
        errors["delegate"] = _("A delegate must be someone other than the absent employee.")
    if errors:
        raise ValidationFailed(_("The absence is not valid."), errors=errors)
    return Absence.objects.create(
        employee=employee, starts_at=starts_at, ends_at=ends_at, delegate=delegate, reason=reason
    )


def user_preferences_update(
    *, user: User, language: str | None = None, time_zone: str | None = None
) -> None:
    """Store the UI language and time zone the user chose."""
    employee = getattr(user, "employee", None)
    if employee is None:
        return
    if language is not None:
        employee.language = language
    if time_zone is not None:
        employee.time_zone = time_zone
    employee_save(employee=employee, actor=user)


# --- Resolver ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resolution:
    """Who answers for a function/position in a unit, and how we got there."""

    employee: Employee
    holder: Employee
    unit: OrgUnit
    via_delegate: bool
    walked_up: bool


def _active_absences(employee_ids: Iterable[int], at: datetime) -> dict[int, Absence]:
    return {
        a.employee_id: a
        for a in Absence.objects.filter(
            employee_id__in=list(employee_ids), starts_at__lte=at, ends_at__gt=at
        )
        .select_related("delegate")
        .order_by("starts_at")
    }


def resolve_assignee(
    *,
    unit: OrgUnit,
    function: str | None = None,
    position: str | None = None,
    at: datetime | None = None,
) -> Resolution:
    """Return the person responsible for ``function`` (a department function) or ``position`` (a
    position code) for a matter in ``unit``.

    Walk from ``unit`` up to the root; at each level look in that unit's whole subtree (so a
    subsidiary finds its own finance department before the group's). Within a level prefer the
    unit's head, then the highest grade. An absent holder hands over to their delegate.
    """
    if bool(function) == bool(position):
        raise ValidationFailed(_("Give exactly one of a department function or a position."))
    if function and function not in DepartmentFunction.values:
        raise ValidationFailed(
            _("Unknown department function “%(function)s”.") % {"function": function}
        )
    at = at or timezone.now()
    candidates = Employee.objects.filter(is_active=True).select_related("unit", "position", "user")
    if function:
        candidates = candidates.filter(unit__kind=UnitKind.DEPARTMENT, unit__function=function)
        label = DepartmentFunction(function).label
    else:
        candidates = candidates.filter(position__code=position)
        label = position
    ancestors = {u.pk: u for u in OrgUnit.objects.filter(pk__in=unit.ancestor_ids())}
    for level, ancestor_id in enumerate(unit.ancestor_ids()):
        ancestor = ancestors[ancestor_id]
        pool = list(candidates.filter(unit__path__startswith=ancestor.path))
        if not pool:
            continue
        head_ids = set(OrgUnit.objects.filter(head__in=pool).values_list("head_id", flat=True))
        pool.sort(key=lambda e: (e.pk not in head_ids, -e.grade, e.unit.depth, e.pk))
        absences = _active_absences((e.pk for e in pool), at)
        for holder in pool:
            absence = absences.get(holder.pk)
            if absence is None:
                return Resolution(holder, holder, ancestor, via_delegate=False, walked_up=level > 0)
            delegate = _follow_delegates(absence, at)
            if delegate is not None:
                return Resolution(
                    delegate, holder, ancestor, via_delegate=True, walked_up=level > 0
                )
    raise AssigneeNotFound(
        _("Nobody holds “%(who)s” in %(unit)s or any unit above it.")
        % {"who": label, "unit": unit.name}
    )


def _follow_delegates(absence: Absence, at: datetime, limit: int = 5) -> Employee | None:
    """The first present person along a chain of delegates (delegates can be away too)."""
    seen: set[int] = {absence.employee_id}
    current = absence
    for _step in range(limit):
        delegate = current.delegate
        if delegate is None or delegate.pk in seen or not delegate.is_active:
            return None
        seen.add(delegate.pk)
        nxt = _active_absences([delegate.pk], at).get(delegate.pk)
        if nxt is None:
            return delegate
        current = nxt
    return None


# --- Heartbeat -----------------------------------------------------------------------------


def heartbeat_record(*, name: str = "tick", at: datetime | None = None) -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"at": at or timezone.now()})


# --- Notifications and outbox --------------------------------------------------------------


def notification_send(
    *,
    recipient: User,
    kind: str,
    subject: tuple[str, str],
    body: tuple[str, str] = ("", ""),
    link: str = "",
    data: dict | None = None,
    dedupe_key: str,
    email: bool = True,
) -> Notification | None:
    """Write an in-app notification (zh, en) once per dedupe key and queue its e-mail.

    Call inside the business transaction: if it rolls back, nothing is sent; if the process dies
    after commit, the outbox row is still there for the relay.
    """
    with transaction.atomic():
        notification, created = Notification.objects.get_or_create(
            dedupe_key=dedupe_key,
            defaults={
                "recipient": recipient,
                "kind": kind,
                "subject_zh": subject[0][:300],
                "subject_en": subject[1][:300],
                "body_zh": body[0],
                "body_en": body[1],
                "link": link,
                "data": data or {},
            },
        )
    if not created:
        return None
    if email and recipient.email:
        outbox_enqueue(
            channel="email",
            dedupe_key=f"email:{dedupe_key}",
            payload={"to": recipient.email, "notification_id": notification.pk},
        )
    return notification


def outbox_enqueue(*, channel: str, dedupe_key: str, payload: dict) -> OutboxMessage | None:
    """Write a must-deliver message once; kicks the relay after commit (the tick is the backstop)."""
    try:
        with transaction.atomic():
            message = OutboxMessage.objects.create(
                channel=channel, dedupe_key=dedupe_key, payload=payload
            )
    except IntegrityError:
        return None
    transaction.on_commit(_kick_relay)
    return message


def _kick_relay() -> None:
    """Queue a relay run, throttled per ``KEEL_OUTBOX_KICK_SECONDS`` (per cache): the first
    message of a window is relayed at once, and one trailing run at the end of the window picks
    up everything written during it — a burst (seeding, a filing that notifies forty people)
    costs two queued runs, not forty, and no message waits longer than the window."""
    from .tasks import outbox_relay

    window = settings.KEEL_OUTBOX_KICK_SECONDS
    try:
        if not window or cache.add("keel:outbox-kick", 1, timeout=window):
            outbox_relay.delay()
        elif cache.add("keel:outbox-kick-trailing", 1, timeout=window):
            outbox_relay.apply_async(countdown=window)
    except Exception:  # broker down: the periodic relay picks it up
        logger.warning("outbox relay kick failed; the beat's relay will pick it up", exc_info=True)


OutboxHandler = Callable[[OutboxMessage], None]
_OUTBOX_HANDLERS: dict[str, OutboxHandler] = {}


def register_outbox_handler(channel: str, handler: OutboxHandler) -> None:
    """Apps register how their channel is delivered (e-mail here, webhooks in integrations)."""
    _OUTBOX_HANDLERS[channel] = handler


class PermanentDeliveryError(Exception):
    """Delivery can never succeed (bad address, unknown subscription): stop retrying."""


OUTBOX_MAX_ATTEMPTS = 8


def outbox_backoff(attempts: int) -> timedelta:
    """Exponential backoff: 10 s, 20 s, 40 s … capped at one hour."""
    return timedelta(seconds=min(10 * 2 ** max(attempts - 1, 0), 3600))


def outbox_relay_due(*, now: datetime | None = None, limit: int = 100) -> int:
    """Deliver due outbox messages; each is claimed with a compare-and-set so two relays never
    send the same message. Returns how many were delivered."""
    now = now or timezone.now()
    delivered = 0
    due_ids = list(
        OutboxMessage.objects.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("id", "attempts")[:limit]
    )
    for message_id, attempts in due_ids:
        lease_until = now + timedelta(minutes=5)
        # Claim: bump attempts and push next_attempt_at out; only one relay wins the update.
        claimed = OutboxMessage.objects.filter(
            pk=message_id, status=OutboxStatus.PENDING, attempts=attempts
        ).update(attempts=attempts + 1, next_attempt_at=lease_until)
        if not claimed:
            continue
        message = OutboxMessage.objects.get(pk=message_id)
        handler = _OUTBOX_HANDLERS.get(message.channel)
        try:
            if handler is None:
                raise PermanentDeliveryError(f"no handler for channel {message.channel!r}")
            handler(message)
        except PermanentDeliveryError as exc:
            OutboxMessage.objects.filter(pk=message_id).update(
                status=OutboxStatus.DEAD, last_error=str(exc)[:2000]
            )
        except Exception as exc:  # transient: retry with backoff, give up after a bound
            status = (
                OutboxStatus.DEAD
                if message.attempts >= OUTBOX_MAX_ATTEMPTS
                else OutboxStatus.PENDING
            )
            OutboxMessage.objects.filter(pk=message_id).update(
                status=status,
                last_error=f"{type(exc).__name__}: {exc}"[:2000],
                next_attempt_at=timezone.now() + outbox_backoff(message.attempts),
            )
        else:
            OutboxMessage.objects.filter(pk=message_id).update(
                status=OutboxStatus.SENT, sent_at=timezone.now(), last_error=""
            )
            delivered += 1
    return delivered


def _deliver_email(message: OutboxMessage) -> None:
    from django.core.mail import send_mail

    notification = Notification.objects.filter(pk=message.payload.get("notification_id")).first()
    if notification is None:
        raise PermanentDeliveryError("notification is gone")
    employee = getattr(notification.recipient, "employee", None)
    language = employee.language if employee else "zh-hans"
    from .i18n import pick
    from .text import single_line

    send_mail(
        # One line: a line break in a subject (e.g. from a crisis title) makes Django refuse the
        # message, and every retry would fail the same way.
        subject=single_line(f"[Keel] {pick(notification, 'subject', language)}"),
        message=pick(notification, "body", language) or pick(notification, "subject", language),
        from_email=None,
        recipient_list=[message.payload["to"]],
    )


register_outbox_handler("email", _deliver_email)


@transaction.atomic
def notification_mark_read(*, user: User, notification_ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=list(notification_ids))
    return qs.update(read_at=timezone.now())


# --- API tokens ----------------------------------------------------------------------------


@transaction.atomic
def api_token_issue(
    *, user: User, scopes: Iterable[str] = (), name: str = ""
) -> tuple[ApiToken, str]:
    """Create a token and return it with its clear text (shown once, never stored)."""
    key = "keel_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        key_hash=ApiToken.hash_key(key),
        prefix=key[:10],
        scopes=sorted(set(scopes)),
    )
    LogEntry.objects.log_create(
        token,
        action=LogEntry.Action.CREATE,
        changes={"scopes": [None, token.scopes]},
        force_log=True,
    )
    return token, key
