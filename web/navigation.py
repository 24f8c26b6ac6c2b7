"""Between a results list and its records: the search carried in the record's address.

A record opened from a results list has the search's own parameters in its
query string plus `n`, its position in the list (`/record/x?q=art&format=book&n=23`),
so "back to results", previous and next need no session and survive a shared
link or a reload.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlencode

from flask import request, url_for

from index import MAX_DEPTH, QueryError, SearchIndexError, SearchRequest
from web.app import services
from web.helpers import current_args
from web.views import parse_search_request, run_search

POSITION = "n"
MAX_POSITION = MAX_DEPTH


@dataclass
class Neighbours:
    """Where a record stands in the results it was opened from."""

    position: int
    total: int
    back: str
    previous: str | None
    next: str | None


def search_args() -> list[tuple[str, str]]:
    """The search's parameters in this request, without paging, position and language."""
    return current_args(exclude=("page", POSITION))


def record_url(cluster_id: str, position: int) -> str:
    """A record's address that remembers the current search and the record's place in it."""
    return url_for("pages.record", any_id=cluster_id) + "?" + urlencode(search_args() + [(POSITION, str(position))])


def neighbours() -> Neighbours | None:
    """Back, previous and next for a record opened from a results list, or None when it was not."""
    raw = request.args.get(POSITION, "")
    if not raw.isdigit() or not 0 < int(raw) <= MAX_POSITION:
        return None
    position = int(raw)
    try:
        around, total = _hits_around(parse_search_request(), position)
    except (QueryError, SearchIndexError):
        return None
    if around.get(position) is None:
        return None            # the list changed since: no neighbours to trust
    page_size = _page_size()
    page = (position - 1) // page_size + 1
    back = url_for("pages.search") + "?" + urlencode(search_args() + ([("page", str(page))] if page > 1 else []))
    return Neighbours(
        position=position, total=total, back=f"{back}#hit-{position}",
        previous=record_url(around[position - 1], position - 1) if position - 1 in around else None,
        next=record_url(around[position + 1], position + 1) if position + 1 in around else None)


def _hits_around(search: SearchRequest, position: int) -> tuple[dict[int, str], int]:
    """{position: cluster id} for the hits before, at and after `position`, and the total."""
    size = _page_size()
    pages = sorted({(p - 1) // size + 1 for p in (position - 1, position, position + 1) if 0 < p <= MAX_POSITION})
    around: dict[int, str] = {}
    total = 0
    for page in pages:
        result = run_search(replace(search, page=page, page_size=size, facets=False))
        total = result.total
        around.update({(page - 1) * size + offset + 1: hit.id for offset, hit in enumerate(result.hits)})
    return around, total


def _page_size() -> int:
    config, _store, _searcher = services()
    return config.web.page_size
