"""The library's default trigger rules (``fixtures_library/trigger_rules.yaml``, SPEC §3.3):
installed once per scenario and kind; an existing rule is the group's (tuned in the admin) and is
never overwritten."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from hrcore import library
from responsibilities.models import Scenario

from .choices import Severity, TriggerAction, TriggerKind
from .models import TriggerRule

LIBRARY_FILE = "trigger_rules.yaml"


@dataclass(frozen=True)
class TriggerRuleSpec:
    scenario: str
    kind: str
    min_overdue_days: int
    requires_risky_contact: bool
    severity: str
    action: str

    @classmethod
    def parse(cls, record: Any, where: str) -> TriggerRuleSpec:
        r = library.require(record, ["scenario", "kind", "min_overdue_days"], where)
        spec = cls(
            scenario=str(r["scenario"]),
            kind=str(r["kind"]),
            min_overdue_days=int(r["min_overdue_days"]),
            requires_risky_contact=bool(r.get("requires_risky_contact", False)),
            severity=str(r.get("severity", Severity.HIGH)),
            action=str(r.get("action", TriggerAction.ALERT)),
        )
        for name, value, allowed in (
            ("kind", spec.kind, TriggerKind.values),
            ("severity", spec.severity, Severity.values),
            ("action", spec.action, TriggerAction.values),
        ):
            if value not in allowed:
                raise library.LibraryError(f"{where}: unknown {name} {value!r}.")
        return spec


def trigger_rule_specs() -> list[TriggerRuleSpec]:
    document = library.read("crisis", LIBRARY_FILE)
    return [
        TriggerRuleSpec.parse(record, f"{LIBRARY_FILE} #{i}")
        for i, record in enumerate(library.items(document, "trigger_rules", LIBRARY_FILE))
    ]


@transaction.atomic
def trigger_rules_install() -> dict[str, Any]:
    """Create the library's rules whose scenario exists and that are not there yet. Returns the
    counts and the library's rules as they are now (created or kept)."""
    created = existing = 0
    rules: list[TriggerRule] = []
    scenarios = {s.code: s for s in Scenario.objects.all()}
    for spec in trigger_rule_specs():
        scenario = scenarios.get(spec.scenario)
        if scenario is None:
            continue
        rule, was_new = TriggerRule.objects.get_or_create(
            scenario=scenario,
            kind=spec.kind,
            defaults={
                "min_overdue_days": spec.min_overdue_days,
                "requires_risky_contact": spec.requires_risky_contact,
                "severity": spec.severity,
                "action": spec.action,
            },
        )
        rules.append(rule)
        created += int(was_new)
        existing += int(not was_new)
    return {"created": created, "existing": existing, "rules": rules}
