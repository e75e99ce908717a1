"""Fixtures of the responsibilities tests: seeded maps and a TOTP helper for the browser."""

from __future__ import annotations

import pytest

from tests.conftest import totp_code


@pytest.fixture
def seeded_maps(demo_org):
    """The demo organisation plus the seed scenarios and published maps (the session's demo
    world, tests/conftest.py)."""
    from responsibilities import demo

    return demo


@pytest.fixture
def no_seed_maps(demo_org):
    """No scenarios or maps, for tests that name and count their own: the demo world's are
    deleted inside the test's transaction, and its rollback brings them back."""
    from responsibilities.models import Duty, ResponsibilityMap, Scenario

    for model in (Duty, ResponsibilityMap, Scenario):  # maps protect their scenario
        model.objects.all().delete()


@pytest.fixture
def group_unit(demo_org):
    from hrcore.models import OrgUnit

    return OrgUnit.objects.get(code="demo-group")


@pytest.fixture(autouse=True)
def _english_messages():
    """Service messages are asserted in English; pages and the browser test switch themselves."""
    from django.utils import translation

    with translation.override("en"):
        yield


def totp_code_for(user) -> str:
    """The current TOTP code of an enrolled user (see ``tests.conftest.totp_code``)."""
    return totp_code(user)
