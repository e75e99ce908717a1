"""The crisis sections of a person's page (``hrcore.person_page``): the duties their position
owes in each scenario's published responsibility map, and their part in crises — open tasks
and history — as far as the reader may see those crises."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser

from hrcore.models import Employee
from hrcore.person_page import register_section
from hrcore.selectors import PersonPageAccess
from responsibilities.selectors import position_crisis_duties

from .presenters import task_what
from .selectors.people import crisis_record_of
from .task_state import task_state

ROWS = 10


def duties_section(
    user: AbstractBaseUser, person: Employee, access: PersonPageAccess, now: datetime
) -> dict:
    duties = position_crisis_duties(position=person.position) if person.position_id else []
    return {"duties": duties}


def history_section(
    user: AbstractBaseUser, person: Employee, access: PersonPageAccess, now: datetime
) -> dict:
    record = crisis_record_of(user, person, limit=ROWS)
    return {
        "open_tasks": [
            {"task": t, "state": task_state(t, now), "what": task_what(t)}
            for t in record.open_tasks
        ],
        "history": record.history,
        "history_more": record.history_total - len(record.history),
    }


def register() -> None:
    register_section("crisis_duties", duties_section, 10, template="crisis/person/_duties.html")
    register_section("crisis_history", history_section, 20, template="crisis/person/_history.html")
