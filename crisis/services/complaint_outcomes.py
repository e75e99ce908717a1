"""What company complaints (``integrations.Complaint``) and walk-in complaints
(``WalkInConsumer``) share when their outcome is decided: the check of the outcome and its
reason, the decision written on the row (``complaint_outcome_decide``), and the notice to the
employee the complaint counts against and to their supervisor.
The walk-in complaint's own decision is ``walk_in.walk_in_complaint_outcome_record``; the company
complaint's is ``integrations.services.complaints.complaint_outcome_record``."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from hrcore.audit import AuditAction, audit
from hrcore.errors import Conflict, ValidationFailed
from hrcore.models import Employee
from hrcore.notification_kinds import person
from hrcore.selectors import employee_of
from hrcore.services.notifications import notification_send

from ..choices import ComplaintOutcome

OUTCOME_NOTE_MAX_LENGTH = 500
OUTCOME_NOTICE = "complaint.outcome"


def decided_outcomes() -> list[str]:
    """Every outcome but open: what a decision may choose."""
    return [c for c in ComplaintOutcome.values if c != ComplaintOutcome.OPEN]


def complaint_outcome_checked(outcome: str, note: str) -> str:
    """The reason as stored (trimmed) when ``outcome`` may be recorded with it; raises
    ``ValidationFailed`` naming the field otherwise (a dismissal needs a reason)."""
    note = (note or "").strip()
    decided = decided_outcomes()
    if outcome not in decided:
        raise ValidationFailed(
            _("Choose resolved, upheld or dismissed."), errors={"outcome": ", ".join(decided)}
        )
    if outcome == ComplaintOutcome.DISMISSED and not note:
        raise ValidationFailed(
            _("Say why the complaint is dismissed."), errors={"note": _("Required.")}
        )
    if len(note) > OUTCOME_NOTE_MAX_LENGTH:
        raise ValidationFailed(
            _("At most %(n)s characters.") % {"n": OUTCOME_NOTE_MAX_LENGTH},
            errors={"note": _("Too long.")},
        )
    return note


def complaint_outcome_decide(row, *, outcome: str, note: str, actor) -> str | None:
    """Write a decision on a complaint row (a ``ComplaintDecision``, locked by the caller): the
    reason as stored when the row changed, None when it was already decided this way (nothing
    written). A bad outcome or a dismissal without a reason is ``ValidationFailed``; a row
    decided otherwise is a ``Conflict``. Audited with the actor."""
    note = complaint_outcome_checked(outcome, note)
    if row.outcome == outcome:
        return None
    if row.outcome != ComplaintOutcome.OPEN:
        raise Conflict(
            _("This complaint is already decided: %(outcome)s.")
            % {"outcome": row.get_outcome_display()}
        )
    row.outcome, row.outcome_note = outcome, note
    row.decided_at, row.decided_by = timezone.now(), actor
    row.save(update_fields=["outcome", "outcome_note", "decided_at", "decided_by"])
    audit(
        row,
        AuditAction.UPDATE,
        changes={"outcome": [ComplaintOutcome.OPEN, outcome]},
        actor=actor,
        data={"note": note} if note else None,
    )
    return note


def complaint_outcome_notify(
    *,
    employee: Employee | None,
    supervisor: Employee | None,
    actor,
    outcome: str,
    note: str,
    about: dict,
    link: str,
    dedupe_key: str,
    drill: bool = False,
) -> None:
    """Tell the employee the complaint counts against and their supervisor what was decided —
    not whoever decided it (they know). ``about`` names the complaint: ``{"customer": {"zh",
    "en"}}`` for a company, ``{"consumer": "<as typed>"}`` for a walk-in consumer."""
    decider = employee_of(actor) if actor is not None else None
    seen: set[int] = set()
    for recipient, role in ((employee, "employee"), (supervisor, "supervisor")):
        if recipient is None or not recipient.is_active or recipient.pk in seen:
            continue
        seen.add(recipient.pk)
        if decider is not None and decider.pk == recipient.pk:
            continue
        notification_send(
            recipient=recipient.user,
            kind=OUTCOME_NOTICE,
            params={
                **about,
                "outcome": outcome,
                "note": note,
                "employee": person(employee),
                "as": role,
                "decider": person(decider, getattr(actor, "username", "")),
                **({"drill": True} if drill else {}),
            },
            link=link,
            dedupe_key=f"{dedupe_key}:outcome:{role}",
        )
