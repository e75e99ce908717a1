"""The periodic reconciliation pull (Celery beat ``integrations.tasks.master_data_reconcile`` and
``manage.py reconcile_master_data``): the HR system's roster and the CRM's customers, diffed
with Keel; every difference is applied in its own transaction, like one event, and recorded in
the event ledger (origin "reconciliation") — applied, or rejected with the reason.

Decisions it takes on its own, recorded and visible:
* a person in the roster with an HR id Keel does not know, whose user name is a Keel account
  with no HR id yet, is **linked** to that account (first adoption of an HR system);
* a person Keel knows by HR id who is missing from the roster is **not** deactivated (a partial
  roster must not empty the company): recorded as rejected, "send employee.left";
* a rejection already recorded for the same difference is not recorded again.
"""

from __future__ import annotations

import hashlib
import json
import logging

from django.db import transaction
from django.utils.translation import gettext_lazy

from customers.models import Customer
from customers.services import LastContact, customer_from_crm
from hrcore.errors import Conflict, KeelError
from hrcore.i18n import keel_error
from hrcore.models import Employee, OrgUnit
from hrcore.services import master_data as hr

from .. import adapters
from ..choices import MasterDataOrigin, MasterDataStatus, PartnerKind
from ..crypto import CredentialUnreadable
from ..models import MasterDataEvent, Partner
from .departures import departure_follow_up
from .master_data import ledger_record, person_fields
from .partners import partner_for

logger = logging.getLogger(__name__)
RECONCILIATION = MasterDataOrigin.RECONCILIATION


def _event_id(event: str, subject: str, payload: dict) -> str:
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
    return f"reconcile:{event}:{subject}:{digest[:16]}"[:100]


def _apply(partner: Partner, event: str, payload: dict, apply, counts: dict) -> None:
    """Apply one difference in its own transaction and record it; a rejection recorded before
    for the same difference is not recorded again."""
    event_id = _event_id(event, payload.get("subject", ""), payload)
    try:
        with transaction.atomic():
            result = apply()
            if result is None:  # nothing differed after all
                return
            ledger_record(
                partner=partner,
                event=event,
                event_id=event_id,
                payload=payload,
                status=MasterDataStatus.APPLIED,
                result=result,
                origin=RECONCILIATION,
            )
        counts["applied"] += 1
    except KeelError as exc:
        counts["rejected"] += 1
        if MasterDataEvent.objects.filter(
            event_id=event_id, status=MasterDataStatus.REJECTED
        ).exists():
            return
        with transaction.atomic():
            ledger_record(
                partner=partner,
                event=event,
                event_id=event_id,
                payload=payload,
                status=MasterDataStatus.REJECTED,
                error=exc,
                origin=RECONCILIATION,
            )


def _differs(employee: Employee, record: adapters.HrEmployee) -> bool:
    manager = employee.manager.external_id if employee.manager_id else ""
    wanted = {
        "name_zh": (employee.name_zh, record.name_zh),
        "name_en": (employee.name_en, record.name_en),
        "unit": (employee.unit.code, record.unit),
        "position": (employee.position.code if employee.position_id else "", record.position),
        "manager": (manager, record.manager),
        "email": (employee.user.email, record.email),
        "mobile": (employee.mobile, record.mobile),
        "dingtalk": (employee.dingtalk_user_id, record.dingtalk_id),
        "wecom": (employee.wecom_user_id, record.wecom_id),
        "feishu": (employee.feishu_open_id, record.feishu_id),
    }
    return any(new is not None and old != new for old, new in wanted.values())


def _unit_payload(record: adapters.HrUnit) -> dict:
    return {"subject": record.code, "unit": record.to_json()}


def _reconcile_units(partner: Partner, units: list[adapters.HrUnit], counts: dict) -> None:
    known = {u.code: u for u in OrgUnit.objects.select_related("parent", "head")}
    for record in units:
        unit = known.get(record.code)
        if unit is not None and not (
            (record.name_zh and record.name_zh != unit.name_zh)
            or (record.name_en and record.name_en != unit.name_en)
            or (
                record.parent is not None
                and record.parent != (unit.parent.code if unit.parent_id else "")
            )
            or (
                record.head is not None
                and record.head != (unit.head.external_id if unit.head_id else "")
            )
        ):
            continue

        def apply(record=record):
            saved, created, changes = hr.org_unit_from_hr(
                code=record.code,
                name_zh=record.name_zh or None,
                name_en=record.name_en or None,
                parent=record.parent,
                head=record.head,
                kind=record.kind or None,
                function=record.function or None,
                actor=partner.service_user,
                source="reconciliation",
            )
            return {"unit_id": saved.pk, "created": created, "changed": sorted(changes)}

        _apply(partner, "org_unit.changed", _unit_payload(record), apply, counts)


def _reconcile_people(partner: Partner, people: list[adapters.HrEmployee], counts: dict) -> None:
    actor = partner.service_user
    by_id = {
        e.external_id: e
        for e in Employee.objects.exclude(external_id="").select_related(
            "unit", "position", "manager", "user"
        )
    }
    in_roster = set()
    # Managers first: a report's manager must exist before the report names them.
    ordered = sorted(
        people, key=lambda r: (r.manager is not None and r.manager != "", r.external_id)
    )
    for record in ordered:
        in_roster.add(record.external_id)
        payload = {"subject": record.external_id, "employee": record.to_json()}
        employee = by_id.get(record.external_id)
        if employee is None and record.username:
            linked = (
                Employee.objects.filter(user__username=record.username, external_id="")
                .select_related("unit", "position", "manager", "user")
                .first()
            )
            if linked is not None:

                def link(linked=linked, record=record):
                    Employee.objects.filter(pk=linked.pk).update(external_id=record.external_id)
                    return {"employee_id": linked.pk, "linked": record.username}

                _apply(partner, "employee.linked", payload, link, counts)
                linked.external_id = record.external_id
                employee = by_id[record.external_id] = linked
        if record.status == "left":
            if employee is not None and employee.is_active:

                def leave(record=record):
                    departure = hr.employee_leave(
                        external_id=record.external_id, actor=actor, source="reconciliation"
                    )
                    return {
                        "employee_id": departure.employee.pk,
                        **departure_follow_up(departure=departure, actor=actor),
                    }

                _apply(partner, "employee.left", payload, leave, counts)
            continue
        if employee is None or not employee.is_active:

            def hire(record=record):
                hired = hr.employee_hire(
                    person=person_fields(record), actor=actor, source="reconciliation"
                )
                return {"employee_id": hired.pk, "username": hired.user.username}

            _apply(partner, "employee.hired", payload, hire, counts)
        elif _differs(employee, record):

            def update(record=record):
                updated, changes = hr.employee_update(
                    person=person_fields(record), actor=actor, source="reconciliation"
                )
                return {"employee_id": updated.pk, "changed": sorted(changes)} if changes else None

            _apply(partner, "employee.transferred", payload, update, counts)
    for external_id, employee in by_id.items():
        if employee.is_active and external_id not in in_roster:

            def missing(external_id=external_id):
                raise keel_error(
                    Conflict,
                    gettext_lazy(
                        "%(id)s is employed in Keel but missing from the HR roster; not "
                        "deactivated automatically (send employee.left if they left)."
                    ),
                    code="missing_from_roster",
                    id=external_id,
                )

            _apply(partner, "employee.missing", {"subject": external_id}, missing, counts)


def _pull(kind: str, fetch):
    """The partner of ``kind`` and what ``fetch(adapter)`` returns, or the error as counts."""
    counts = {"applied": 0, "rejected": 0, "error": ""}
    partner = partner_for(kind)
    if partner is None:
        return None, None, {**counts, "error": f"no {kind} partner"}
    try:
        return partner, fetch(adapters.adapter_for(partner.config())), counts
    except CredentialUnreadable as exc:
        return None, None, {**counts, "error": str(exc)}
    except adapters.AdapterError as exc:
        logger.warning("%s pull failed: %s", kind, exc.reason)
        return None, None, {**counts, "error": exc.reason}


def hr_reconcile() -> dict:
    """Pull the HR roster and reconcile units and people; returns counts (and an error)."""
    partner, roster, counts = _pull(PartnerKind.HR, lambda adapter: adapter.roster())
    if partner is not None:
        _reconcile_units(partner, roster.units, counts)
        _reconcile_people(partner, roster.employees, counts)
    return counts


def crm_reconcile() -> dict:
    """Pull the CRM's customers (names, unit, owner, last contact) and keep Keel's current."""
    partner, customers, counts = _pull(PartnerKind.CRM, lambda adapter: adapter.customers())
    if partner is None:
        return counts
    known = set(Customer.objects.values_list("external_id", flat=True))
    for record in customers:
        contact = record.last_contact

        def apply(record=record, contact=contact):
            customer, created, changes = customer_from_crm(
                external_id=record.external_id,
                name_zh=record.name_zh,
                name_en=record.name_en,
                unit=record.unit or None,
                owner=record.owner if record.owner else None,
                last_contact=LastContact(contact.at, contact.risk, contact.note_zh, contact.note_en)
                if contact
                else None,
                actor=partner.service_user,
                reason="CRM reconciliation",
            )
            if not changes:
                return None
            return {
                "customer": customer.external_id,
                "created": created,
                "changed": sorted(changes),
            }

        event = "customer.updated" if record.external_id in known else "customer.created"
        _apply(
            partner,
            event,
            {"subject": record.external_id, "customer": record.to_json()},
            apply,
            counts,
        )
    return counts


def master_data_reconcile() -> dict:
    return {"hr": hr_reconcile(), "crm": crm_reconcile()}
