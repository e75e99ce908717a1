"""A hook for a crisis's dossier snapshots (issue 16 §3: replay uses the information as it
arrived). Dossiers belong to integrations and the replay to competency — siblings that never
import each other — so integrations registers a provider here in its ``AppConfig.ready()`` and
competency reads the snapshots through ``dossier_snapshots``. Without a provider a crisis has
no snapshots."""

from __future__ import annotations

from collections.abc import Callable

# crisis id → [{"at": datetime, "text_zh": str, "text_en": str}]: one entry per assembled
# dossier, what it said in words, in any order.
DossierSnapshotProvider = Callable[[int], list[dict]]

_providers: list[DossierSnapshotProvider] = []


def dossier_snapshots_register(provider: DossierSnapshotProvider) -> None:
    """Called from an AppConfig.ready(); registering the same function twice is a no-op."""
    if provider not in _providers:
        _providers.append(provider)


def dossier_snapshots(crisis_id: int) -> list[dict]:
    """Every registered provider's snapshots of the crisis's dossier, oldest first."""
    snapshots = [s for provider in _providers for s in provider(crisis_id)]
    return sorted(snapshots, key=lambda s: s["at"])
