"""The competency framework as the map editor sees it: a provider the competency app registers.

responsibilities sits below competency in the app order (hrcore ← responsibilities ← … ←
competency), so it never imports competency; ``CompetencyConfig.ready()`` registers a function
returning ``(code, name in the reader's language)`` pairs instead."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

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


# --- Training evidence for map coverage ---------------------------------------------------------

# ``(pairs of (employee id, competency code), moment) → the pairs whose evidence is current``.
TrainingProvider = Callable[[Iterable[tuple[int, str]], datetime], set[tuple[int, str]]]

_training: list[TrainingProvider] = []


def register_training_provider(provider: TrainingProvider) -> None:
    """Called once from the competency app's ready(); the same function twice is a no-op."""
    if provider not in _training:
        _training.append(provider)


def current_training(pairs: Iterable[tuple[int, str]], at: datetime) -> set[tuple[int, str]] | None:
    """The (employee id, competency code) pairs with current evidence, in one batch per
    provider (a pair counts when any provider vouches for it); None when no provider is
    registered: training is then not checked (``responsibilities.coverage``)."""
    if not _training:
        return None
    pairs = set(pairs)
    found: set[tuple[int, str]] = set()
    for provider in _training:
        found |= provider(pairs, at)
    return found


# --- Practice currency for map coverage ---------------------------------------------------------

# ``(pairs of (employee id, scenario code), moment) → {pair: whether the last drill or simulation
# for the scenario's role is current}``, for the pairs with any practice (the rest left out).
PracticeProvider = Callable[[Iterable[tuple[int, str]], datetime], dict[tuple[int, str], bool]]

_practice: list[PracticeProvider] = []


def register_practice_provider(provider: PracticeProvider) -> None:
    """Called once from the competency app's ready(); the same function twice is a no-op."""
    if provider not in _practice:
        _practice.append(provider)


def practice_currency(
    pairs: Iterable[tuple[int, str]], at: datetime
) -> dict[tuple[int, str], bool] | None:
    """Drill currency per (employee id, scenario code) with practice: True when the person's
    last drill or simulation for the role is current (a pair is current when any provider says
    so); pairs without practice are left out. None when no provider is registered: practice is
    then not checked (``responsibilities.coverage``)."""
    if not _practice:
        return None
    pairs = set(pairs)
    found: dict[tuple[int, str], bool] = {}
    for provider in _practice:
        for pair, current in provider(pairs, at).items():
            found[pair] = found.get(pair, False) or current
    return found
