"""Page arithmetic of paginated boards (pure: no ORM, no request).

The dashboard already knows how many crises match (from its totals query), so it does not need
Django's ``Paginator`` (which would count them a second time): this module turns the total, the
requested page and the page size into the slice to read and the page links to show.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageWindow:
    """One page of ``total`` items, ``size`` per page (``number`` is 1-based)."""

    number: int
    pages: int
    total: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def stop(self) -> int:
        return self.offset + self.size

    @property
    def first_index(self) -> int:
        """1-based position of the first item on the page (0 when there is none)."""
        return self.offset + 1 if self.total else 0

    @property
    def last_index(self) -> int:
        return min(self.stop, self.total)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    def numbers(self, around: int = 2) -> list[int | None]:
        """Page numbers to link: the first, the last and ``around`` either side of the current
        one; ``None`` marks a gap ("…")."""
        wanted = {1, self.pages, *range(self.number - around, self.number + around + 1)}
        shown = sorted(n for n in wanted if 1 <= n <= self.pages)
        out: list[int | None] = []
        for n in shown:
            if out and n - out[-1] > 1:
                out.append(None)
            out.append(n)
        return out


def page_window(*, total: int, requested: str | int | None, size: int) -> PageWindow:
    """The page to show: ``requested`` parsed leniently (missing or garbage → 1) and clamped to
    the pages that exist (there is always at least one, possibly empty, page)."""
    if size < 1:
        raise ValueError("page size must be at least 1")
    total = max(int(total), 0)
    pages = max(1, -(-total // size))
    try:
        number = int(requested) if requested not in (None, "") else 1
    except (TypeError, ValueError):
        number = 1
    return PageWindow(number=min(max(number, 1), pages), pages=pages, total=total, size=size)
