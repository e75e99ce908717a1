"""Per-severity deadline factors of a responsibility map (pure; no ORM).

A map's deadlines are written for the severity a crisis is filed at. When the severity of a
running crisis changes, each open task's deadline is scaled by ``factor(new) / factor(old)``
(``crisis.services.course.crisis_severity_change``): with the defaults, going from medium
(1.5) to critical (0.5) leaves a third of the time, from high (1.0) to low (2.0) doubles it.
HR admins edit the factors per map version (``severity_factors`` in the map's API shape).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext as _

from .choices import Severity

DEFAULT_SEVERITY_FACTORS: dict[str, float] = {
    Severity.LOW: 2.0,
    Severity.MEDIUM: 1.5,
    Severity.HIGH: 1.0,
    Severity.CRITICAL: 0.5,
}
MIN_FACTOR = 0.1
MAX_FACTOR = 10.0


def default_severity_factors() -> dict[str, float]:
    """The model field's default (a fresh dict per row)."""
    return {str(k): v for k, v in DEFAULT_SEVERITY_FACTORS.items()}


def clean_severity_factors(value) -> tuple[dict[str, float], dict[str, str]]:
    """``value`` checked: a mapping of every severity code to a number between 0.1 and 10;
    missing codes take the default. Returns (clean factors, errors by field)."""
    if not isinstance(value, Mapping):
        return default_severity_factors(), {
            "severity_factors": _("Give a factor for each severity: low, medium, high, critical.")
        }
    errors: dict[str, str] = {}
    clean = default_severity_factors()
    for code, factor in value.items():
        if code not in Severity.values:
            errors["severity_factors"] = _(
                "Unknown severity “%(value)s”. Use one of: %(choices)s."
            ) % {
                "value": str(code)[:30],
                "choices": ", ".join(Severity.values),
            }
            continue
        if isinstance(factor, bool) or not isinstance(factor, (int, float)):
            errors["severity_factors"] = _("Each factor must be a number.")
            continue
        if not MIN_FACTOR <= float(factor) <= MAX_FACTOR:
            errors["severity_factors"] = _("Each factor must be between 0.1 and 10.")
            continue
        clean[code] = float(factor)
    return clean, errors


def severity_factor(factors: Mapping | None, severity: str) -> float:
    """The factor of ``severity`` in a map's ``factors`` (the default when missing or broken)."""
    try:
        factor = float((factors or {}).get(severity, DEFAULT_SEVERITY_FACTORS[severity]))
    except (TypeError, ValueError, KeyError):
        return DEFAULT_SEVERITY_FACTORS.get(severity, 1.0)
    if not MIN_FACTOR <= factor <= MAX_FACTOR:
        return DEFAULT_SEVERITY_FACTORS.get(severity, 1.0)
    return factor


def scaled_minutes(minutes: int, *, old_factor: float, new_factor: float) -> int:
    """A deadline of ``minutes`` rescaled from one severity's factor to another's, to the
    nearest minute (at least one)."""
    return max(1, round(minutes * new_factor / old_factor))
