"""Choices offered when filing or filtering crises: units, customers, competencies."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q

from hrcore.choices import UnitKind
from hrcore.models import OrgUnit

from ..models import Crisis
from .access import crises_visible_to


def filing_choices(user: AbstractBaseUser) -> tuple[list, list[OrgUnit]]:
    """Scenarios that have a published map somewhere, and the units one may file for."""
    from responsibilities.models import Scenario

    if not user.is_authenticated:
        return [], []
    scenarios = list(Scenario.objects.filter(maps__status="published").distinct().order_by("code"))
    units = list(OrgUnit.objects.order_by("path"))
    return scenarios, units


def filter_choices(user: AbstractBaseUser) -> tuple[list, list[OrgUnit]]:
    """Every scenario and unit, for the list and dashboard filters."""
    from responsibilities.models import Scenario

    if not user.is_authenticated:
        return [], []
    return list(Scenario.objects.order_by("code")), list(OrgUnit.objects.order_by("path"))


def customers_for_filing(user: AbstractBaseUser) -> list:
    """Customers offered in the filing form's suggestion list."""
    from integrations.selectors import customers_visible_to

    return list(customers_visible_to(user).order_by("-overdue_days", "external_id")[:300])


def customer_external_id(user: AbstractBaseUser, text: str) -> str | None:
    """What the manager typed (an external id, "<id> · <name>" from the list, or an exact
    name) → the customer's external id; unknown text is passed on and the service says so.
    Names are looked up among the customers the user may see only (a name must not reveal the
    id of a customer outside their scope)."""
    from integrations.selectors import customers_visible_to

    text = (text or "").strip()
    if not text:
        return None
    candidate = text.split(" · ", 1)[0].strip()
    visible = customers_visible_to(user)
    if visible.filter(external_id=candidate).exists():
        return candidate
    by_name = visible.filter(Q(name_zh=text) | Q(name_en=text)).first()
    return by_name.external_id if by_name else candidate


def subsidiary_of(unit: OrgUnit) -> OrgUnit | None:
    """The subsidiary a unit belongs to (the unit itself when it is one); None for the group and
    its own departments (e.g. the executive office)."""
    return (
        OrgUnit.objects.filter(pk__in=unit.ancestor_ids(), kind=UnitKind.SUBSIDIARY)
        .order_by("-path")
        .first()
    )


def customer_for_filing(user: AbstractBaseUser | None, external_id: str, *, unit: OrgUnit | None):
    """The customer a new crisis may name, or None — and the service then answers exactly as
    for an id that does not exist, so a refusal does not reveal that the customer exists.

    * A person (page, API token) names only a customer they may see
      (``integrations.selectors.customers_visible_to``: managers their unit's subtree, support
      departments their subsidiary, executives/HR/partner systems every customer).
    * Every filing, automatic paths included (trigger rules and partner webhooks, which file
      with no person as actor or as a partner's service account): when the crisis's unit is
      known the customer must belong to that unit's scope — the unit's subsidiary, or the whole
      group for a crisis filed at group level (the group or one of its own departments). Triggers and webhooks file in the customer's own
      unit, so they always qualify; a partner naming another subsidiary's customer does not.
    """
    from integrations.models import Customer
    from integrations.selectors import customers_visible_to

    base = Customer.objects.all() if user is None else customers_visible_to(user)
    customer = base.select_related("unit").filter(external_id=external_id).first()
    if customer is None or unit is None:
        return customer
    scope = subsidiary_of(unit)
    if scope is None:
        return customer  # a group-level crisis may concern any customer of the group
    return customer if customer.unit.path.startswith(scope.path) else None


def competency_choices() -> list[tuple[str, str]]:
    """(code, name) of the competencies a closure can name as "weaknesses found": the rateable
    ones of the published frameworks, each code once."""
    from competency.selectors import rateable_competencies

    seen: dict[str, str] = {}
    for row in rateable_competencies():
        seen.setdefault(row["code"], row["name"])
    return list(seen.items())


def crisis_filed_with_key(user: AbstractBaseUser, stored_key: str) -> Crisis | None:
    """The crisis filed with this idempotency key, when ``user`` may see it (a form's second
    submit)."""
    return crises_visible_to(user).filter(idempotency_key=stored_key).first()
