"""The library's default trigger rules (``fixtures_library/trigger_rules.yaml``, SPEC §3.3):
installed once per scenario and kind; an existing rule is the group's (tuned in the admin) and is
never overwritten."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from hrcore import library
from responsibilities.models import Scenario

from . import obligations as obligation_rules
from .choices import Severity, TriggerAction, TriggerKind
from .models import Obligation, TriggerRule

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


# --- Statutory clocks (``fixtures_library/obligations.yaml``, issue 15 §3) ------------------

OBLIGATIONS_FILE = "obligations.yaml"


@dataclass(frozen=True)
class ObligationSpec:
    code: str
    fields: dict[str, Any]
    scenarios: tuple[str, ...]

    @classmethod
    def parse(cls, record: Any, where: str) -> ObligationSpec:
        r = library.require(
            record,
            ["code", "title_zh", "title_en", "basis_zh", "basis_en", "trigger", "period_value"],
            where,
        )
        fields = {
            "title_zh": str(r["title_zh"]),
            "title_en": str(r["title_en"]),
            "basis_zh": str(r["basis_zh"]),
            "basis_en": str(r["basis_en"]),
            "guidance_zh": str(r.get("guidance_zh", "")),
            "guidance_en": str(r.get("guidance_en", "")),
            "trigger": str(r["trigger"]),
            "severities": [str(s) for s in r.get("severities") or []],
            "decision_options": [str(o) for o in r.get("decision_options") or []],
            "period_value": int(r["period_value"]),
            "period_unit": str(r.get("period_unit", obligation_rules.PeriodUnit.HOURS)),
            "extension_value": int(r.get("extension_value", 0)),
            "warn_ratio": float(r.get("warn_ratio", 0.75)),
        }
        for name, allowed in (
            ("trigger", obligation_rules.ObligationTrigger.values),
            ("period_unit", obligation_rules.PeriodUnit.values),
        ):
            if fields[name] not in allowed:
                raise library.LibraryError(f"{where}: unknown {name} {fields[name]!r}.")
        unknown = [s for s in fields["severities"] if s not in Severity.values]
        if unknown:
            raise library.LibraryError(f"{where}: unknown severities {unknown}.")
        if fields["period_value"] <= 0:
            raise library.LibraryError(f"{where}: period_value must be positive.")
        return cls(
            code=str(r["code"]),
            fields=fields,
            scenarios=tuple(str(s) for s in r.get("scenarios") or []),
        )


def obligation_specs() -> list[ObligationSpec]:
    document = library.read("crisis", OBLIGATIONS_FILE)
    return [
        ObligationSpec.parse(record, f"{OBLIGATIONS_FILE} #{i}")
        for i, record in enumerate(library.items(document, "obligations", OBLIGATIONS_FILE))
    ]


@transaction.atomic
def obligations_install() -> dict[str, int]:
    """Create the library's obligations that are not there yet, linked to the scenarios that
    exist (an existing obligation is the group's, edited by HR admins: never overwritten)."""
    created = existing = 0
    scenarios = {s.code: s for s in Scenario.objects.all()}
    for spec in obligation_specs():
        obligation, was_new = Obligation.objects.get_or_create(code=spec.code, defaults=spec.fields)
        if was_new:
            obligation.scenarios.set([scenarios[c] for c in spec.scenarios if c in scenarios])
        created += int(was_new)
        existing += int(not was_new)
    return {"created": created, "existing": existing}
