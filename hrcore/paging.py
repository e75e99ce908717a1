"""Lists in pages (Django's ``Paginator``) with a pager that keeps the reader's other query
parameters (a search, a filter) on every link. Display shaping only: reads what it is handed."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.http import QueryDict

PAGE_SIZE = 25


def page_of(rows, requested, *, size: int = PAGE_SIZE) -> Page:
    """One page of ``rows``: ``requested`` is read leniently (missing or garbage is the first
    page, beyond the last the last page); there is always one page, possibly empty. A queryset
    costs two queries: its count and the page's rows."""
    return Paginator(rows, size).get_page(requested)


def pager(page: Page, params: QueryDict) -> dict:
    """The pager of ``_pager.html``: numbered links (the first, the last and two either side
    of the current one; ``number`` None marks a gap "…") and previous/next URLs, each the
    current query string with its ``page`` replaced."""

    def url(number: int) -> str:
        query = params.copy()
        query["page"] = str(number)
        return f"?{query.urlencode()}"

    numbers = [
        None if n == page.paginator.ELLIPSIS else n
        for n in page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    ]
    return {
        "page": page,
        "links": [
            {"number": n, "url": url(n) if n else "", "current": n == page.number} for n in numbers
        ],
        "previous_url": url(page.previous_page_number()) if page.has_previous() else "",
        "next_url": url(page.next_page_number()) if page.has_next() else "",
    }
