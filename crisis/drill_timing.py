"""Pure arithmetic for unannounced drills (issue 16 §2): a random moment inside a window that
falls within the unit's business hours."""

from __future__ import annotations

import random
from datetime import datetime

from hrcore import sla


def random_business_moment(
    start: datetime, end: datetime, calendar: sla.Calendar, rng: random.Random | None = None
) -> datetime | None:
    """A moment drawn uniformly from the business seconds between ``start`` and ``end`` (the
    unit's calendar: working days, working hours, holidays); None when the window holds none."""
    if end <= start:
        return None
    total = sla.business_seconds_between(start, end, calendar)
    if total <= 0:
        return None
    offset = (rng or random.SystemRandom()).uniform(0, total)
    return sla.add_business_seconds(start, offset, calendar)
