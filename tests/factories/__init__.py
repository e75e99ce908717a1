"""factory-boy factories for the rows tests build beyond the demo world (tests/conftest.py).

They write rows directly, as a test's own setup does: the services under test are called by
the tests themselves. Units, positions and employees come from the demo world: look them up by
code (``OrgUnit.objects.get(code="sh-business")``) rather than inventing new ones.
"""

from __future__ import annotations

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from customers.models import Customer
from hrcore.models import Employee, OrgUnit
from hrcore.search_keys import search_key
from responsibilities.choices import MapStatus
from responsibilities.models import Duty, ResponsibilityMap, Scenario


def unit(code: str) -> OrgUnit:
    return OrgUnit.objects.get(code=code)


class ScenarioFactory(DjangoModelFactory):
    class Meta:
        model = Scenario
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"scenario-{n}")
    name_zh = factory.LazyAttribute(lambda o: o.code)
    name_en = factory.LazyAttribute(lambda o: o.code)


class ResponsibilityMapFactory(DjangoModelFactory):
    """A published map of the whole group (version 1) unless told otherwise."""

    class Meta:
        model = ResponsibilityMap

    scenario = factory.SubFactory(ScenarioFactory)
    scope = factory.LazyFunction(lambda: unit("demo-group"))
    version = 1
    status = MapStatus.PUBLISHED
    title_zh = factory.LazyAttribute(lambda o: o.scenario.code)
    title_en = factory.LazyAttribute(lambda o: o.scenario.code)
    published_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.status == MapStatus.PUBLISHED else None
    )


class DutyFactory(DjangoModelFactory):
    class Meta:
        model = Duty

    map = factory.SubFactory(ResponsibilityMapFactory)
    code = factory.Sequence(lambda n: f"duty-{n}")
    assignee_position = None
    # exactly one assignee: a function unless a position is given
    assignee_function = factory.LazyAttribute(lambda o: "" if o.assignee_position else "finance")
    deadline_minutes = 30
    action_zh = factory.LazyAttribute(lambda o: o.code)
    action_en = factory.LazyAttribute(lambda o: o.code)


class CustomerFactory(DjangoModelFactory):
    """A customer of the Shanghai business department, owned by ``staff``, not overdue."""

    class Meta:
        model = Customer

    external_id = factory.Sequence(lambda n: f"T-{n}")
    name_zh = "测试客户"
    name_en = "Test customer"
    search_key = factory.LazyAttribute(lambda c: search_key(c.name_zh))
    unit = factory.LazyFunction(lambda: unit("sh-business"))
    account_owner = factory.LazyFunction(lambda: Employee.objects.get(user__username="staff"))
    overdue_days = 0
