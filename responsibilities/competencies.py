"""The competency framework as the map editor sees it: a provider the competency app registers.

responsibilities sits below competency in the app order (hrcore ← responsibilities ← … ←
competency), so it never imports competency; ``CompetencyConfig.ready()`` registers a function
returning ``(code, name in the reader's language)`` pairs instead."""

from __future__ import annotations

from collections.abc import Callable

CompetencyProvider = Callable[[], list[tuple[str, str]]]

_providers: list[CompetencyProvider] = []


def register_competency_provider(provider: CompetencyProvider) -> None:
    """Called once from an AppConfig.ready(); registering the same function twice is a no-op."""
    if provider not in _providers:
        _providers.append(provider)


def competency_choices() -> list[tuple[str, str]]:
    """Every competency a duty may ask for, as ``(code, name)``, first provider first; empty
    when no app provides a framework (the editor then offers the codes already in use)."""
    seen: dict[str, str] = {}
    for provider in _providers:
        for code, name in provider():
            seen.setdefault(code, name)
    return list(seen.items())
