"""Demo scenarios and maps: the library's (``responsibilities.library``), published for the demo
group with every check of a normal publish (the demo organisation has its people).

Idempotent: the library install never forks versions or overwrites the group's own.
"""

from __future__ import annotations

from hrcore.library import group_root

from .library import library_install
from .models import ResponsibilityMap, Scenario


def seed() -> dict[str, int]:
    group = group_root()
    if group is None:
        return {"scenarios": 0, "maps": 0}
    library_install(scope=group, require_holders=True)
    return {"scenarios": Scenario.objects.count(), "maps": ResponsibilityMap.objects.count()}
