"""keel_bootstrap and the library: idempotent, no demo person, library content marked, adapting a
library map gives the group's own draft that re-runs never duplicate or overwrite."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from competency.models import Simulation
from crisis.models import TriggerRule
from hrcore.errors import PermissionDenied, ValidationFailed
from hrcore.models import Employee, OrgUnit, Position
from hrcore.selectors import is_hr_admin
from responsibilities import library
from responsibilities.choices import MapStatus
from responsibilities.models import Duty, ResponsibilityMap, Scenario
from responsibilities.services.maps import responsibility_map_adapt

pytestmark = pytest.mark.django_db
User = get_user_model()
LIBRARY_CODES = {
    "debt-collection",
    "debt-collection-emergency",
    "customer-complaint",
    "pr-crisis",
    "supply-chain-disruption",
    "strike",
    "data-leak",
    "workplace-injury",
}
PASSWORD = "Str0ng-first-admin-pass"


def _state() -> dict:
    """Every row the bootstrap may write, counted (a re-run must leave it the same)."""
    return {
        "users": User.objects.count(),
        "employees": Employee.objects.count(),
        "units": OrgUnit.objects.count(),
        "positions": Position.objects.count(),
        "scenarios": Scenario.objects.count(),
        "maps": sorted(
            ResponsibilityMap.objects.values_list("scenario__code", "version", "status")
        ),
        "duties": Duty.objects.count(),
        "rules": TriggerRule.objects.count(),
        "simulations": Simulation.objects.count(),
    }


def _bootstrap(monkeypatch, **options):
    monkeypatch.setenv("KEEL_ADMIN_PASSWORD", PASSWORD)
    call_command(
        "keel_bootstrap",
        admin_username=options.pop("username", "firsthr"),
        admin_email="firsthr@example.com",
        no_input=True,
        **options,
    )


def test_bootstrap_creates_one_hr_admin_who_must_enrol_totp_and_no_demo_person(
    no_seed_maps, monkeypatch, client
):
    TriggerRule.objects.all().delete()
    before = _state()
    _bootstrap(monkeypatch)
    after = _state()
    admin = User.objects.get(username="firsthr")
    assert is_hr_admin(admin) and admin.is_staff and admin.check_password(PASSWORD)
    # The only person added is the admin (an employee of the group's root unit).
    assert after["users"] == before["users"] + 1
    assert after["employees"] == before["employees"] + 1
    assert admin.employee.unit.parent_id is None
    assert after["units"] == before["units"]  # the existing root is the group: nothing invented
    assert set(Scenario.objects.values_list("code", flat=True)) == LIBRARY_CODES
    assert Scenario.objects.filter(is_library=False).count() == 0
    published = ResponsibilityMap.objects.filter(status=MapStatus.PUBLISHED)
    assert published.count() == 8 and not published.filter(is_library=False).exists()
    assert after["rules"] == 2
    # No second factor yet: the first page after log-in is the TOTP enrolment.
    assert not Authenticator.objects.filter(user=admin).exists()
    client.force_login(admin)
    response = client.get("/")
    assert response.status_code == 302 and "/accounts/2fa/totp/activate" in response["Location"]


def test_rerunning_the_bootstrap_changes_nothing(no_seed_maps, monkeypatch):
    _bootstrap(monkeypatch)
    first = _state()
    _bootstrap(monkeypatch)
    assert _state() == first
    assert User.objects.get(username="firsthr").check_password(PASSWORD)


def test_bootstrap_without_a_password_or_with_a_weak_one_writes_nothing(no_seed_maps, monkeypatch):
    TriggerRule.objects.all().delete()
    before = _state()
    monkeypatch.delenv("KEEL_ADMIN_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="KEEL_ADMIN_PASSWORD"):
        call_command("keel_bootstrap", admin_username="firsthr", no_input=True)
    monkeypatch.setenv("KEEL_ADMIN_PASSWORD", "123")
    with pytest.raises(CommandError):
        call_command("keel_bootstrap", admin_username="firsthr", no_input=True)
    assert _state() == before
    with pytest.raises(CommandError, match="admin-username"):
        call_command("keel_bootstrap", no_input=True)


def test_library_install_on_a_group_without_people_publishes_every_map(no_seed_maps):
    """A fresh installation has nobody holding the positions yet: the maps are still published
    (validated for shape), so crises can be filed from day one."""
    group = OrgUnit.objects.get(code="demo-group")
    Employee.objects.update(is_active=False)
    outcome = library.library_install(scope=group)
    assert set(outcome["installed"]) == LIBRARY_CODES
    for m in ResponsibilityMap.objects.all():
        assert (m.status, m.is_library, m.version) == (MapStatus.PUBLISHED, True, 1)
        assert len(m.library_digest) == 64


def test_adapting_a_library_map_gives_a_draft_the_bootstrap_never_touches(
    no_seed_maps, monkeypatch, users
):
    _bootstrap(monkeypatch)
    group = OrgUnit.objects.get(code="demo-group")
    library_map = ResponsibilityMap.objects.get(scenario__code="data-leak", status="published")
    draft = responsibility_map_adapt(responsibility_map=library_map, actor=users["hradmin"])
    assert (draft.status, draft.is_library, draft.version) == (MapStatus.DRAFT, False, 2)
    assert sorted(draft.duties.values_list("code", flat=True)) == sorted(
        library_map.duties.values_list("code", flat=True)
    )
    # Adapting again returns the same draft.
    again = responsibility_map_adapt(responsibility_map=library_map, actor=users["hradmin"])
    assert again.pk == draft.pk
    before = _state()
    assert library.library_install(scope=group)["kept"] == ["data-leak"]
    assert _state() == before
    # Published, the group's version stays in force through re-runs and library updates.
    from responsibilities.services.maps import responsibility_map_publish

    responsibility_map_publish(responsibility_map=draft, actor=users["hradmin"])
    real_specs = library.scenario_specs()

    def newer_library():
        specs = real_specs
        for spec in specs:
            spec.duties[0]["deadline_minutes"] += 1
        return specs

    monkeypatch.setattr(library, "scenario_specs", newer_library)
    outcome = library.library_install(scope=group)
    assert outcome["kept"] == ["data-leak"]
    assert set(outcome["updated"]) == LIBRARY_CODES - {"data-leak"}
    in_force = ResponsibilityMap.objects.get(scenario__code="data-leak", status="published")
    assert (in_force.pk, in_force.is_library) == (draft.pk, False)
    updated = ResponsibilityMap.objects.get(scenario__code="strike", status="published")
    assert (updated.version, updated.is_library) == (2, True)
    assert updated.duties.get(code="admin-safety").deadline_minutes == 31


def test_only_hr_admins_adapt_and_only_library_versions(no_seed_maps, monkeypatch, users):
    _bootstrap(monkeypatch)
    library_map = ResponsibilityMap.objects.get(scenario__code="strike", status="published")
    before = _state()
    with pytest.raises(PermissionDenied):
        responsibility_map_adapt(responsibility_map=library_map, actor=users["manager"])
    assert _state() == before
    own = responsibility_map_adapt(responsibility_map=library_map, actor=users["hradmin"])
    with pytest.raises(ValidationFailed) as caught:
        responsibility_map_adapt(responsibility_map=own, actor=users["hradmin"])
    assert caught.value.code == "not_library"


def test_hr_admin_adapts_from_the_admin_list(no_seed_maps, monkeypatch, client_as):
    _bootstrap(monkeypatch)
    library_map = ResponsibilityMap.objects.get(scenario__code="pr-crisis", status="published")
    response = client_as("hradmin").post(
        "/admin/responsibilities/responsibilitymap/",
        {"action": "adapt_maps", "_selected_action": [library_map.pk]},
    )
    assert response.status_code == 302
    draft = ResponsibilityMap.objects.get(scenario__code="pr-crisis", status="draft")
    assert (draft.version, draft.is_library) == (2, False)
