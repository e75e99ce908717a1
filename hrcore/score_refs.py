"""Hook: the kinds of score an employee may dispute through self-service (a simulation result,
a commission, a performance event …) are offered by the apps that own them, without hrcore
importing them (app order: hrcore ← … ← integrations | competency).

An app registers a :class:`ScoreKind` in its ``AppConfig.ready()``: ``choices(employee)`` lists
the person's own recent scores as ``(id, label)`` for the dispute form, and ``label(employee,
id)`` returns the label of one of the person's own scores — or None when the id is unknown or
not theirs, which makes the dispute invalid. Labels are ``{"zh": …, "en": …}``: the question
keeps a snapshot, so it still says what was disputed if the score later changes or goes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import translation

Label = dict[str, str]  # {"zh": …, "en": …}


@dataclass(frozen=True)
class ScoreKind:
    """One kind of disputable score."""

    code: str  # stored on the question: "simulation_run", "commission", "performance_event" …
    name: Any  # a (lazy) translated name of the kind, for forms and lists
    choices: Callable[[Any], list[tuple[str, Label]]]
    label: Callable[[Any, str], Label | None]


_KINDS: dict[str, ScoreKind] = {}


def register_score_kind(kind: ScoreKind) -> ScoreKind:
    """Register (or replace) a kind of disputable score (idempotent)."""
    _KINDS[kind.code] = kind
    return kind


def score_kind_unregister(code: str) -> None:
    _KINDS.pop(code, None)


def score_kinds() -> dict[str, ScoreKind]:
    return dict(_KINDS)


def score_kind(code: str) -> ScoreKind | None:
    return _KINDS.get(code)


def label_in_both(render: Callable[[], str]) -> Label:
    """A label rendered once in each language (``render`` uses the catalogs and bilingual
    fields, which follow the active language)."""
    labels = {}
    for key, language in (("zh", "zh-hans"), ("en", "en")):
        with translation.override(language):
            labels[key] = str(render())
    return labels
