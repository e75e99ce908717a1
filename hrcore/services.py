"""Every write to the organisation, plus the resolver and the notification/outbox plumbing."""

from __future__ import annotations

import hashlib
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
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from .backoff import exponential_backoff
from .choices import DeliveryResult, DepartmentFunction, OutboxStatus, UnitKind
from .errors import AssigneeNotFound, KeelError, ValidationFailed
from .models import (
    API_TOKEN_LIFETIME,
    Absence,
    ApiToken,
    DeliveryAttempt,
    Employee,
    Heartbeat,
    IdempotencyKey,
    LoginSession,
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
    """Validate (reporting-line cycles, time zone, same group) and save an employee. When they
    leave (no longer employed), their API tokens are revoked."""
    _validate_employee(employee)
    was_active = (
        Employee.objects.filter(pk=employee.pk).values_list("is_active", flat=True).first()
        if employee.pk
        else None
    )
    employee.save()
    if was_active and not employee.is_active and employee.user_id:
        api_tokens_revoke_for_user(user=employee.user, actor=actor, reason="employee left")
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
        .select_related("delegate__user")
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


AssigneeKey = tuple[str, str]  # (department function or "", position code or "")


def resolve_assignees(
    *, unit: OrgUnit, wanted: Iterable[AssigneeKey], at: datetime | None = None
) -> dict[AssigneeKey, Resolution | KeelError]:
    """``resolve_assignee`` for many (function, position) pairs of one unit in one pass: the
    unit's path, every candidate holder, the unit heads among them and the active absences of
    holders and delegates are each loaded once (a handful of queries whatever the number of
    pairs), then each pair is resolved in memory with exactly the per-pair rules. Each key maps
    to its Resolution or to the error ``resolve_assignee`` would raise (returned, not raised)."""
    at = at or timezone.now()
    results: dict[AssigneeKey, Resolution | KeelError] = {}
    keys: list[AssigneeKey] = []
    for key in dict.fromkeys(wanted):
        function, position = key
        if bool(function) == bool(position):
            results[key] = ValidationFailed(
                _("Give exactly one of a department function or a position.")
            )
        elif function and function not in DepartmentFunction.values:
            results[key] = ValidationFailed(
                _("Unknown department function “%(function)s”.") % {"function": function}
            )
        else:
            keys.append(key)
    if not keys:
        return results
    functions = {f for f, _p in keys if f}
    positions = {p for _f, p in keys if p}
    ancestor_ids = unit.ancestor_ids()
    by_pk = {u.pk: u for u in OrgUnit.objects.filter(pk__in=ancestor_ids).order_by()}
    ancestors = [by_pk[pk] for pk in ancestor_ids]
    matches = Q(pk__in=[])
    if functions:
        matches |= Q(unit__kind=UnitKind.DEPARTMENT, unit__function__in=functions)
    if positions:
        matches |= Q(position__code__in=positions)
    # Plain tuples, not model instances: the pool is every holder in the group; only the few
    # people chosen are loaded as employees at the end.
    candidates = [
        _Candidate(*row)
        for row in Employee.objects.filter(matches, is_active=True)
        .annotate(heads=Exists(OrgUnit.objects.filter(head=OuterRef("pk"))))
        .order_by()
        .values_list(
            "pk",
            "grade",
            "unit__path",
            "unit__depth",
            "unit__kind",
            "unit__function",
            "position__code",
            "heads",
        )
    ]
    head_ids = {c.pk for c in candidates if c.heads}
    absences = _AbsenceBook(at)
    absences.load(c.pk for c in candidates)
    found: dict[AssigneeKey, tuple[int, int, OrgUnit, bool, bool]] = {}
    for key in keys:
        function, position = key
        if function:
            holders = [
                c for c in candidates if c.kind == UnitKind.DEPARTMENT and c.function == function
            ]
        else:
            holders = [c for c in candidates if c.position == position]
        hit = _resolve_in_memory(
            holders=holders, ancestors=ancestors, head_ids=head_ids, absences=absences
        )
        if hit is not None:
            found[key] = hit
        else:
            label = DepartmentFunction(function).label if function else position
            results[key] = AssigneeNotFound(
                _("Nobody holds “%(who)s” in %(unit)s or any unit above it.")
                % {"who": label, "unit": unit.name}
            )
    people = Employee.objects.select_related("unit", "position", "user").in_bulk(
        {pk for employee_pk, holder_pk, *_rest in found.values() for pk in (employee_pk, holder_pk)}
    )
    for key, (employee_pk, holder_pk, ancestor, via_delegate, walked_up) in found.items():
        results[key] = Resolution(
            people[employee_pk], people[holder_pk], ancestor, via_delegate, walked_up
        )
    return results


@dataclass(frozen=True)
class _Candidate:
    pk: int
    grade: int
    path: str
    depth: int
    kind: str
    function: str
    position: str | None
    heads: bool  # heads some unit (preferred within a level)


class _AbsenceBook:
    """Active absences at ``at`` by employee id, loaded in batches and kept (the latest-starting
    absence of an employee wins, as in ``_active_absences``)."""

    def __init__(self, at: datetime) -> None:
        self.at = at
        self.known: set[int] = set()
        self.by_employee: dict[int, Absence] = {}

    def load(self, employee_ids: Iterable[int]) -> None:
        missing = set(employee_ids) - self.known
        if missing:
            self.by_employee.update(_active_absences(missing, self.at))
            self.known |= missing

    def of(self, employee_id: int) -> Absence | None:
        self.load([employee_id])
        return self.by_employee.get(employee_id)

    def follow_delegates(self, absence: Absence, limit: int = 5) -> Employee | None:
        """``_follow_delegates`` over the book; delegates' absences load in one query per step
        of the chain for every delegate seen so far."""
        self.load(a.delegate_id for a in self.by_employee.values() if a.delegate_id)
        seen: set[int] = {absence.employee_id}
        current = absence
        for _step in range(limit):
            delegate = current.delegate
            if delegate is None or delegate.pk in seen or not delegate.is_active:
                return None
            seen.add(delegate.pk)
            nxt = self.of(delegate.pk)
            if nxt is None:
                return delegate
            current = nxt
        return None


def _resolve_in_memory(
    *,
    holders: list[_Candidate],
    ancestors: list[OrgUnit],
    head_ids: set[int],
    absences: _AbsenceBook,
) -> tuple[int, int, OrgUnit, bool, bool] | None:
    """The walk of ``resolve_assignee`` over preloaded rows: (employee id, holder id, level unit,
    via delegate, walked up), or None when nobody is found."""
    for level, ancestor in enumerate(ancestors):
        pool = [c for c in holders if c.path.startswith(ancestor.path)]
        if not pool:
            continue
        pool.sort(key=lambda c: (c.pk not in head_ids, -c.grade, c.depth, c.pk))
        for holder in pool:
            absence = absences.of(holder.pk)
            if absence is None:
                return (holder.pk, holder.pk, ancestor, False, level > 0)
            delegate = absences.follow_delegates(absence)
            if delegate is not None:
                return (delegate.pk, holder.pk, ancestor, True, level > 0)
    return None


# --- Heartbeat -----------------------------------------------------------------------------


def heartbeat_record(*, name: str = "tick", at: datetime | None = None) -> None:
    """``name`` ran successfully (written after the work, so health tells the truth)."""
    Heartbeat.objects.update_or_create(name=name, defaults={"at": at or timezone.now()})


def heartbeat_failure_record(*, name: str = "tick", error: str, at: datetime | None = None) -> None:
    """``name`` ran and failed: the ``<name>.failed`` row says when and why (/healthz)."""
    Heartbeat.objects.update_or_create(
        name=f"{name}.failed", defaults={"at": at or timezone.now(), "detail": error[:2000]}
    )


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


@dataclass(frozen=True)
class NotificationSpec:
    """One in-app notification (zh, en) for ``notifications_create_many``."""

    recipient: User
    kind: str
    subject: tuple[str, str]
    dedupe_key: str
    body: tuple[str, str] = ("", "")
    link: str = ""
    data: dict | None = None
    email: bool = True


FAN_OUT_CHANNEL = "fanout"


def notifications_create_many(specs: list[NotificationSpec]) -> list[dict]:
    """Write many in-app notifications in one INSERT and return the e-mail outbox messages they
    call for, to hand to ``outbox_fan_out`` (which writes them in the worker).

    For rows born with the business write that owns them (a new crisis, its new tasks): their
    dedupe keys name fresh ids, so there is nothing to deduplicate against — a clash is a bug
    and raises, rolling the whole write back. ``notification_send`` is the one-at-a-time form.
    """
    rows = Notification.objects.bulk_create(
        [
            Notification(
                recipient=spec.recipient,
                kind=spec.kind,
                subject_zh=spec.subject[0][:300],
                subject_en=spec.subject[1][:300],
                body_zh=spec.body[0],
                body_en=spec.body[1],
                link=spec.link,
                data=spec.data or {},
                dedupe_key=spec.dedupe_key,
            )
            for spec in specs
        ]
    )
    return [
        {
            "channel": "email",
            "dedupe_key": f"email:{spec.dedupe_key}",
            "payload": {"to": spec.recipient.email, "notification_id": row.pk},
        }
        for spec, row in zip(specs, rows, strict=True)
        if spec.email and spec.recipient.email
    ]


def outbox_fan_out(
    *, dedupe_key: str, messages: list[dict], crisis_id: int | None = None
) -> OutboxMessage:
    """One outbox row that the relay (in the worker) turns into ``messages`` — each a dict of
    ``channel``, ``dedupe_key``, ``payload`` delivered as its own outbox row, retried on its own.
    A business write that emits many messages pays one insert; the fan-out is idempotent (the
    children's dedupe keys), so a relay that dies half-way and runs again loses and doubles
    nothing. ``dedupe_key`` must be new (it names the new row that owns the messages): no
    savepoint guards the insert, a clash raises and rolls the business write back.
    ``crisis_id`` says which crisis the row belongs to (housekeeping keeps an open crisis's)."""
    payload: dict = {"messages": messages}
    if crisis_id is not None:
        payload["crisis_id"] = crisis_id
    message = OutboxMessage.objects.create(
        channel=FAN_OUT_CHANNEL, dedupe_key=dedupe_key, payload=payload
    )
    transaction.on_commit(_kick_relay)
    return message


def _deliver_fan_out(message: OutboxMessage) -> None:
    children = message.payload.get("messages") or []
    OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(
                channel=child["channel"], dedupe_key=child["dedupe_key"], payload=child["payload"]
            )
            for child in children
        ],
        ignore_conflicts=True,
    )


def _kick_relay() -> None:
    """Queue a relay run, throttled per ``KEEL_OUTBOX_KICK_SECONDS`` (per cache): the first
    message of a window is relayed at once, and one trailing run at the end of the window picks
    up everything written during it — a burst (seeding, a filing that notifies forty people)
    costs two queued runs, not forty, and no message waits longer than the window."""
    from .tasks import outbox_relay

    window = settings.KEEL_OUTBOX_KICK_SECONDS
    if getattr(cache, "is_down", False):
        return  # Redis (cache and broker) unreachable: the beat's relay delivers it later
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
    return exponential_backoff(attempts, first_seconds=10, max_seconds=3600)


def outbox_relay_due(*, now: datetime | None = None, limit: int = 100) -> int:
    """Deliver due outbox messages; each is claimed with a compare-and-set so two relays never
    send the same message. Returns how many were delivered."""
    now = now or timezone.now()
    delivered, fanned_out = _relay_pass(now=now, limit=limit)
    # A fan-out row wrote its children during the pass: deliver them in this run, not the next.
    for _extra_pass in range(2):
        if not fanned_out or delivered >= limit:
            break
        more, fanned_out = _relay_pass(now=timezone.now(), limit=limit - delivered)
        delivered += more
    return delivered


def _relay_pass(*, now: datetime, limit: int) -> tuple[int, bool]:
    delivered = 0
    fanned_out = False
    due_ids = list(
        OutboxMessage.objects.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("id", "attempts")[:limit]
    )
    for message_id, attempts in due_ids:
        lease_until = now + timedelta(seconds=settings.KEEL_OUTBOX_LEASE_SECONDS)
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
            fanned_out = fanned_out or message.channel == FAN_OUT_CHANNEL
    return delivered, fanned_out


# --- Delivery ledger ---------------------------------------------------------------------


def ledgered(
    handler: Callable[[OutboxMessage], str | None],
    *,
    delivery_id: Callable[[OutboxMessage], str],
) -> OutboxHandler:
    """Wrap a channel's handler in the delivery ledger (one ``DeliveryAttempt`` per try,
    committed before and after the send, outside any business transaction).

    * an earlier attempt recorded as delivered (the process died before the outbox row was
      marked sent) → nothing is sent again: exactly once;
    * an earlier attempt that never recorded its answer (crash mid-send, lease expired, the
      answer was lost) → marked ``unknown`` and sent again with the same delivery id, which
      the receiver can dedupe on (webhook delivery id header, e-mail Message-ID): at least once,
      recognisable;
    * the handler returns the provider's message id when it has one.
    """

    def deliver(message: OutboxMessage) -> None:
        key = delivery_id(message)
        earlier = DeliveryAttempt.objects.filter(message=message)
        if earlier.filter(result=DeliveryResult.DELIVERED).exists():
            logger.info("outbox %s: delivered by an earlier attempt; not sent again", message.pk)
            return
        earlier.filter(result=DeliveryResult.STARTED).update(
            result=DeliveryResult.UNKNOWN,
            finished_at=timezone.now(),
            error="no answer recorded (crash, timeout or lease expired); resent with the same "
            "delivery id",
        )
        attempt = DeliveryAttempt.objects.create(
            message=message, channel=message.channel, attempt=message.attempts, delivery_id=key
        )
        try:
            provider_id = handler(message)
        except PermanentDeliveryError as exc:
            _attempt_finish(attempt, DeliveryResult.REFUSED, error=exc)
            raise
        except Exception as exc:
            _attempt_finish(attempt, DeliveryResult.FAILED, error=exc)
            raise
        _attempt_finish(attempt, DeliveryResult.DELIVERED, provider_id=provider_id or "")

    deliver.__name__ = getattr(handler, "__name__", "deliver")
    return deliver


def _attempt_finish(
    attempt: DeliveryAttempt, result: str, *, provider_id: str = "", error=None
) -> None:
    DeliveryAttempt.objects.filter(pk=attempt.pk).update(
        result=result,
        finished_at=timezone.now(),
        provider_message_id=provider_id[:300],
        error="" if error is None else f"{type(error).__name__}: {error}"[:2000],
    )


def email_message_id(message: OutboxMessage) -> str:
    """A Message-ID fixed by the outbox row: every retry of one e-mail carries the same one, so
    mail systems that dedupe on it show it once."""
    digest = hashlib.sha256(message.dedupe_key.encode()).hexdigest()[:32]
    domain = (settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "keel.local").strip("> ")
    return f"<{digest}.keel@{domain}>"


def _deliver_email(message: OutboxMessage) -> str:
    from django.core.mail import EmailMessage

    notification = Notification.objects.filter(pk=message.payload.get("notification_id")).first()
    if notification is None:
        raise PermanentDeliveryError("notification is gone")
    employee = getattr(notification.recipient, "employee", None)
    language = employee.language if employee else "zh-hans"
    from .i18n import pick
    from .text import single_line

    message_id = email_message_id(message)
    # The SMTP backend's timeout is settings.EMAIL_TIMEOUT (checked < the outbox lease).
    EmailMessage(
        # One line: a line break in a subject (e.g. from a crisis title) makes Django refuse the
        # message, and every retry would fail the same way.
        subject=single_line(f"[Keel] {pick(notification, 'subject', language)}"),
        body=pick(notification, "body", language) or pick(notification, "subject", language),
        to=[message.payload["to"]],
        headers={"Message-ID": message_id},
    ).send()
    return message_id


register_outbox_handler("email", ledgered(_deliver_email, delivery_id=email_message_id))
register_outbox_handler(FAN_OUT_CHANNEL, _deliver_fan_out)


@transaction.atomic
def notification_mark_read(*, user: User, notification_ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=list(notification_ids))
    return qs.update(read_at=timezone.now())


# --- API tokens ----------------------------------------------------------------------------


@transaction.atomic
def api_token_issue(
    *,
    user: User,
    scopes: Iterable[str] = (),
    name: str = "",
    expires_in_days: int | None = None,
    actor: User | None = None,
) -> tuple[ApiToken, str]:
    """Create a token and return it with its clear text (shown once, never stored). It belongs
    to ``user`` for life and expires after ``expires_in_days`` (default 90)."""
    from .api.permissions import SCOPES

    scopes = sorted(set(scopes))
    unknown = sorted(set(scopes) - {*SCOPES, "*"})
    if unknown:
        raise ValidationFailed(
            _("Unknown scope(s): %(unknown)s. Known: %(known)s.")
            % {"unknown": ", ".join(unknown), "known": ", ".join(SCOPES)},
            errors={"scopes": _("Unknown scope.")},
        )
    if not user.is_active:
        raise ValidationFailed(
            _("%(username)s is deactivated and cannot hold a token.") % {"username": user},
            errors={"user": _("Deactivated.")},
        )
    if expires_in_days is not None and not 1 <= expires_in_days <= 366:
        raise ValidationFailed(
            _("A token lives between 1 and 366 days."),
            errors={"expires_in_days": _("Out of range.")},
        )
    key = "keel_" + secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        key_hash=ApiToken.hash_key(key),
        prefix=key[:10],
        scopes=scopes,
        created_at=now,
        expires_at=now
        + (timedelta(days=expires_in_days) if expires_in_days else API_TOKEN_LIFETIME),
    )
    LogEntry.objects.log_create(
        token,
        action=LogEntry.Action.CREATE,
        changes={
            "user": [None, user.get_username()],
            "scopes": [None, token.scopes],
            "expires_at": [None, token.expires_at.isoformat()],
        },
        force_log=True,
        actor=actor,
    )
    return token, key


# --- Housekeeping --------------------------------------------------------------------------

PRUNE_CHUNK = 500


def open_crisis_ids() -> set[int]:
    """Ids of the open crises (through ``KEEL_OPEN_CRISIS_IDS``, so hrcore does not import the
    crisis app): what they refer to is never pruned."""
    from django.utils.module_loading import import_string

    path = getattr(settings, "KEEL_OPEN_CRISIS_IDS", "")
    return set(import_string(path)()) if path else set()


def crisis_id_of(data) -> int | None:
    """The crisis a JSON payload refers to: ``crisis_id`` at the top or in a webhook ``body``."""
    if not isinstance(data, dict):
        return None
    value = data.get("crisis_id")
    if value is None and isinstance(data.get("body"), dict):
        value = data["body"].get("crisis_id")
    if value is None and isinstance(data.get("data"), dict):
        value = data["data"].get("crisis_id")
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def prune_rows(queryset: QuerySet, *, fields: tuple[str, ...], keep: Callable[..., bool]) -> int:
    """Delete the rows of ``queryset`` in chunks of ``PRUNE_CHUNK``, each in its own short
    transaction, except those ``keep(*values of fields)`` says are still needed."""
    deleted, last_pk = 0, 0
    while True:
        chunk = list(
            queryset.filter(pk__gt=last_pk).order_by("pk").values_list("pk", *fields)[:PRUNE_CHUNK]
        )
        if not chunk:
            return deleted
        last_pk = chunk[-1][0]
        doomed = [row[0] for row in chunk if not keep(*row[1:])]
        if doomed:
            with transaction.atomic():
                deleted += queryset.filter(pk__in=doomed).delete()[0]


def _days(setting: str, default: float) -> timedelta:
    return timedelta(days=float(getattr(settings, setting, default)))


# The partner-API endpoint whose stored answer is a crisis (its "id").
CRISIS_CREATE_ENDPOINT = "crisis.crises.create"


def housekeeping_prune(*, now: datetime | None = None) -> dict[str, int]:
    """Prune what no one needs any more (retention in the ``KEEL_RETENTION_*`` settings): sent
    outbox messages, idempotency keys and read notifications. What an open crisis refers to
    stays: its notifications (their dedupe keys keep a reassignment from notifying twice), its
    event and webhook messages, and the idempotency keys whose stored answer is that crisis.
    Pending and dead outbox messages and unread notifications are never pruned. (Sent e-mail
    rows go: a notification of an open crisis is kept, so its e-mail is never queued again.)"""
    now = now or timezone.now()
    protected = open_crisis_ids()

    def of_open_crisis(data) -> bool:
        return crisis_id_of(data) in protected

    def key_of_open_crisis(endpoint: str, body) -> bool:
        if endpoint == CRISIS_CREATE_ENDPOINT and isinstance(body, dict):
            return body.get("id") in protected
        return of_open_crisis(body)

    return {
        "outbox": prune_rows(
            OutboxMessage.objects.filter(
                status=OutboxStatus.SENT,
                sent_at__lt=now - _days("KEEL_RETENTION_OUTBOX_SENT_DAYS", 30),
            ),
            fields=("payload",),
            keep=of_open_crisis,
        ),
        "idempotency_keys": prune_rows(
            IdempotencyKey.objects.filter(
                created_at__lt=now - _days("KEEL_RETENTION_IDEMPOTENCY_KEYS_DAYS", 7)
            ),
            fields=("endpoint", "response_body"),
            keep=key_of_open_crisis,
        ),
        "notifications": prune_rows(
            Notification.objects.filter(
                read_at__lt=now - _days("KEEL_RETENTION_READ_NOTIFICATIONS_DAYS", 90)
            ),
            fields=("data",),
            keep=of_open_crisis,
        ),
    }


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User | None = None, reason: str = "") -> bool:
    """Revoke one token (idempotent: False when it already was). Audited with the reason."""
    now = timezone.now()
    if not ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now):
        return False
    token.revoked_at = now
    LogEntry.objects.log_create(
        token,
        action=LogEntry.Action.UPDATE,
        changes={"revoked_at": [None, now.isoformat()]},
        force_log=True,
        actor=actor,
        additional_data={"reason": reason or "revoked"},
    )
    return True


@transaction.atomic
def api_tokens_revoke_for_user(*, user: User, actor: User | None = None, reason: str) -> int:
    """Revoke every live token of ``user`` (they left, or their account was deactivated)."""
    tokens = list(ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True))
    return sum(api_token_revoke(token=t, actor=actor, reason=reason) for t in tokens)


# --- Sessions ------------------------------------------------------------------------------


def login_session_record(*, user: User, session_key: str) -> None:
    """Remember a session the user logged in with (for "log out everywhere"), forgetting the
    user's sessions that have ended since (expired or logged out)."""
    from importlib import import_module

    store = import_module(settings.SESSION_ENGINE).SessionStore
    for row in LoginSession.objects.filter(user=user).exclude(session_key=session_key):
        if not store().exists(row.session_key):
            row.delete()
    if session_key:
        LoginSession.objects.get_or_create(session_key=session_key, defaults={"user": user})


def user_sessions_end_all(*, user: User) -> int:
    """End every browser session of ``user`` (tokens and everything else stay as they are).
    Returns how many sessions were ended."""
    from importlib import import_module

    store = import_module(settings.SESSION_ENGINE).SessionStore
    ended = 0
    for row in LoginSession.objects.filter(user=user):
        session = store(session_key=row.session_key)
        if session.exists(row.session_key):
            session.delete(row.session_key)
            ended += 1
        row.delete()
    LogEntry.objects.log_create(
        user,
        action=LogEntry.Action.ACCESS,
        changes={},
        force_log=True,
        actor=user,
        additional_data={"sessions_ended": ended, "reason": "log out everywhere"},
    )
    return ended
