"""What the start page tells a patron: what the catalogue spans, what came in last, where to begin.

Counted from the index and the store, and kept for a minute so that the start
page costs no more than a search.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from flask import current_app

from dedup import cluster_views
from index import BRANCH_SEPARATOR, SearchIndexError, SearchRequest
from web.app import services

OVERVIEW_TTL = 60.0
RECENT = 6


@dataclass
class Recent:
    """A recently added edition, as the start page lists it."""

    id: str
    title: str
    authors: list[str]
    year: int | None
    format: str


@dataclass
class Overview:
    """The catalogue at a glance."""

    networks: list = field(default_factory=list)
    members: list[tuple[str, str, int]] = field(default_factory=list)   # (code, name, editions held)
    libraries: int = 0
    editions: int = 0
    formats: list[tuple[str, int]] = field(default_factory=list)
    recent: list[Recent] = field(default_factory=list)


def overview() -> Overview:
    """The start page's figures and lists (cached for a minute); empty parts when the index is not ready."""
    extension = current_app.extensions["unioncat"]
    cached = extension.get("overview")
    if cached is None or time.monotonic() - cached[0] > OVERVIEW_TTL:
        cached = (time.monotonic(), _gather())
        extension["overview"] = cached
    return cached[1]


def _gather() -> Overview:
    config, store, searcher = services()
    names = current_app.extensions["unioncat"]["names"]
    found = Overview(networks=list(getattr(config, "networks", None) or []))
    try:
        result = searcher.search(SearchRequest(page_size=1))
        libraries = searcher.values("branch")
    except SearchIndexError:
        return found
    held = {fv.value: fv.count for fv in result.facets.get("library", [])}
    found.members = sorted(((s.code, names.label(s.code), held.get(s.code, 0)) for s in config.sources),
                           key=lambda member: member[1].casefold())
    branches = {value for value in libraries if BRANCH_SEPARATOR in value}
    with_branches = {value.partition(BRANCH_SEPARATOR)[0] for value in branches}
    # a member whose holdings name no libraries is one library itself
    found.libraries = len(branches) + sum(1 for s in config.sources if s.code not in with_branches)
    found.editions = result.total
    found.formats = [(fv.value, fv.count) for fv in result.facets.get("format", [])]
    views = cluster_views(store, store.newest_clusters(RECENT))
    found.recent = [Recent(view.id, view.title, view.record.authors[:2], view.record.year, view.record.format)
                    for view in views.values() if view is not None]
    return found
