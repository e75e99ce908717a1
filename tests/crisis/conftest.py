"""Fixtures of the crisis tests: the seed maps, a custom map builder, filing helpers."""

from __future__ import annotations

import pytest

from hrcore.models import OrgUnit, Position


@pytest.fixture
def crisis_world(demo_org):
    """The demo world (organisation, seed maps, customers: tests/conftest.py) plus the demo
    partner rows, which point at a sandbox port nobody listens on here."""
    from integrations import demo as integrations_demo

    integrations_demo.seed_partners()
    return demo_org


@pytest.fixture
def make_map(crisis_world):
    """``make_map("code", [duty dicts], scope="demo-group")`` → a published map built directly
    (so the engine's tests do not depend on the seed maps' exact numbers)."""
    from responsibilities.models import ResponsibilityMap
    from tests.factories import DutyFactory, ResponsibilityMapFactory, ScenarioFactory

    def make(code: str, duties: list[dict], scope: str = "demo-group", severity="high"):
        scenario = ScenarioFactory(code=code, default_severity=severity)
        unit = OrgUnit.objects.get(code=scope)
        version = ResponsibilityMap.objects.filter(scenario=scenario, scope=unit).count() + 1
        ResponsibilityMap.objects.filter(scenario=scenario, scope=unit, status="published").update(
            status="archived"
        )
        rmap = ResponsibilityMapFactory(scenario=scenario, scope=unit, version=version)
        for order, spec in enumerate(duties):
            spec = dict(spec)
            position = spec.pop("position", None)
            DutyFactory(
                map=rmap,
                order=order,
                assignee_position=Position.objects.get(code=position) if position else None,
                assignee_function=spec.pop("function", ""),
                **spec,
            )
        return rmap

    return make


@pytest.fixture
def file_emergency(crisis_world, users):
    """File the debt-collection emergency crisis as ``manager`` through the service."""
    from crisis.services.filing import crisis_file

    def file(**overrides):
        kwargs = {
            "scenario": "debt-collection-emergency",
            "title": "催收人员到访上海办公室",
            "description": "Collectors are shouting in the office.",
            "actor": users["manager"],
        }
        kwargs.update(overrides)
        return crisis_file(**kwargs)

    return file


def tasks_by_duty(crisis) -> dict:
    return {t.duty_code: t for t in crisis.tasks.select_related("assignee__user", "duty")}


def row_counts(*extra_models) -> tuple[int, ...]:
    """Rows of the crisis tables (plus ``extra_models``): equal before and after a refused
    operation means nothing was half-written."""
    from crisis.models import Crisis, Decision, Deliverable, Task, TimelineEvent

    return tuple(
        m.objects.count()
        for m in (Crisis, Task, TimelineEvent, Deliverable, Decision, *extra_models)
    )
