"""One view of a person (issue 17 §5): the employee page, composed of sections the apps register.

hrcore is the lowest app, so it names none of the apps above it: crisis adds the person's crisis
duties and history, integrations the customers they own, their open complaints and their
commissions, competency their competencies and drills — each from its ``AppConfig.ready()``
through ``register_section``. A section is a provider (reader, person, access, now → the
template's context, or None to leave the section out) and the template that renders it. Every
provider reads with a bounded number of queries whatever the number of rows.

Who sees a page (``hrcore.selectors.person_page_access``): the person; their supervisor chain (the managers above
them, and managers of their unit or a unit above it); HR admins and executives. Anyone else gets
a 404, as for every object a reader may not see. Sections marked ``sensitive`` (commissions)
are shown only to the person, their supervisor chain, HR admins and finance."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser

from .models import Employee
from .selectors import PersonPageAccess

# A section's provider: (reader, person, access, now) → its template's context, or None when the
# section has nothing to say to this reader.
SectionProvider = Callable[[AbstractBaseUser, Employee, PersonPageAccess, datetime], dict | None]


@dataclass(frozen=True)
class Section:
    key: str
    provider: SectionProvider
    template: str
    order: int
    sensitive: bool


@dataclass(frozen=True)
class RenderedSection:
    key: str
    template: str
    context: dict


_SECTIONS: dict[str, Section] = {}


def register_section(
    key: str,
    provider: SectionProvider,
    order: int = 100,
    *,
    template: str,
    sensitive: bool = False,
) -> None:
    """Add a section to every person page, placed by ``order`` (lower first). ``template``
    renders the provider's context (it has ``person`` and ``access`` too). Registering a key
    again replaces that section."""
    _SECTIONS[key] = Section(key, provider, template, order, sensitive)


def sections_for(
    user: AbstractBaseUser, person: Employee, access: PersonPageAccess, *, now: datetime
) -> list[RenderedSection]:
    """The sections of ``person``'s page for this reader, in order."""
    shown = []
    for section in sorted(_SECTIONS.values(), key=lambda s: (s.order, s.key)):
        if section.sensitive and not access.sees_sensitive:
            continue
        context = section.provider(user, person, access, now)
        if context is not None:
            shown.append(RenderedSection(section.key, section.template, context))
    return shown
