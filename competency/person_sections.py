"""The training section of a person's page (``hrcore.person_page``): their competencies (latest
evidence, gaps against their position's profile), open training assignments and their practice
(drill) currency per simulation."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser

from hrcore.models import Employee
from hrcore.person_page import register_section
from hrcore.selectors import PersonPageAccess

from .selectors import training_record

ROWS = 10


def training_section(
    user: AbstractBaseUser, person: Employee, access: PersonPageAccess, now: datetime
) -> dict:
    record = training_record(person, now=now, limit=ROWS)
    return {
        "levels": record.levels,
        "gaps": record.gaps,
        "assignments": record.assignments,
        "practice": record.practice,
        "now": now,
    }


def register() -> None:
    register_section("training", training_section, 60, template="competency/person/_training.html")
