"""Request parsing and cluster assembly shared by the pages and the JSON API."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from flask import current_app, request

from dedup import ClusterView, cluster_view
from index import (BRANCH_SEPARATOR, FACETS, MAX_PAGE_SIZE, SORTS, QueryError, SearchIndexError, SearchRequest,
                   SearchResult, work_key)
from web.app import services
from web.collections import online_access
from web.libraries import order_for_patron

MY_LIBRARY_COOKIE = "mylib"
MINE_FIRST_COOKIE = "minefirst"
# URL parameter -> fielded box (the facet filters own the plain names "subject" and "author")
FIELDED = {"in_title": "title", "in_author": "author", "in_subject": "subject", "isbn": "isbn"}
HARVEST_TIMES_TTL = 60.0
MAX_LIBRARY_CODE = 64


def parse_search_request(*, api: bool = False) -> SearchRequest:
    """A search from the query string and the patron's cookies; `QueryError` when malformed."""
    config, _store, _searcher = services()
    args = request.args
    sort = args.get("sort", "relevance")
    if sort not in SORTS:
        raise QueryError(f"Results cannot be sorted by {sort[:20]!r}.", "bad_sort", value=sort[:20])
    page_size = _number(args.get("size", ""), "size") if api and args.get("size") else config.web.page_size
    my_library = my_library_choice()
    return SearchRequest(
        q=args.get("q", ""),
        **{box: args.get(param, "") for param, box in FIELDED.items()},
        year_from=_year(args.get("year_from", "")), year_to=_year(args.get("year_to", "")),
        filters={name: [v for v in args.getlist(name) if v] for name in FACETS if args.getlist(name)},
        sort=sort,
        page=_number(args.get("page", "1") or "1", "page"),
        page_size=min(page_size, MAX_PAGE_SIZE),
        my_library=my_library,
        mine_first=bool(my_library) and request.cookies.get(MINE_FIRST_COOKIE) == "1",
        expand=args.get("more", ""),
    )


def _number(raw: str, name: str) -> int:
    raw = raw.strip()
    if not raw.isdigit() or len(raw) > 6:
        raise QueryError(f"The {name} {raw[:20]!r} is not a whole number.", "bad_number", name=name, value=raw[:20])
    return int(raw)


def _year(raw: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= len(raw) <= 4:
        raise QueryError(f"The year {raw[:20]!r} is not a year such as 1999.", "bad_year", value=raw[:20])
    return int(raw)


def my_library_choice() -> str:
    """The patron's library from its cookie: a member code, or "member|library" for one of its libraries."""
    chosen = request.cookies.get(MY_LIBRARY_COOKIE, "")
    return chosen if valid_library(chosen) else ""


def valid_library(value: str) -> bool:
    """Whether `value` names a member ("libris") or a library within one ("libris|U")."""
    config, _store, _searcher = services()
    member, separator, code = value.partition(BRANCH_SEPARATOR)
    if member not in {s.code for s in config.sources}:
        return False
    return not separator or 0 < len(code) <= MAX_LIBRARY_CODE and code.isprintable()


def library_choices() -> list[tuple[str, str, list[str]]]:
    """(code, name, its libraries holding anything) for each member, by name: the choices of my library."""
    config, _store, searcher = services()
    try:
        branches = searcher.values("branch")
    except SearchIndexError:
        branches = []
    by_member: dict[str, list[str]] = {}
    for value in branches:
        by_member.setdefault(value.partition(BRANCH_SEPARATOR)[0], []).append(value)
    # a licensed collection or a bibliography has no patrons of its own
    shared = config.collections.licensed_sources | set(config.collections.regional_bibliographies)
    return [(s.code, s.name, by_member.get(s.code, [])) for s in sorted(config.sources, key=lambda s: s.name.casefold())
            if s.code not in shared]


def run_search(search: SearchRequest) -> SearchResult:
    """Run a parsed search against the live index."""
    _config, _store, searcher = services()
    return searcher.search(search)


def find_cluster(any_id: str) -> tuple[str | None, ClusterView | None]:
    """(the live cluster id, its view) for a cluster, merged-away or member record id."""
    _config, store, _searcher = services()
    cluster_id = store.resolve_cluster(any_id)
    if cluster_id is None:
        return None, None
    return cluster_id, cluster_view(store, cluster_id)


@dataclass
class LibraryHoldings:
    """The copies of one library (or branch) of a member catalogue."""

    library: str
    name: str
    holdings: list = field(default_factory=list)
    url: str = ""
    mine: bool = False


def holdings_by_source(view: ClusterView, my_library: str = "") -> list[dict]:
    """Holdings grouped per member catalogue, then per library or branch, with the harvest time;
    the patron's library (`my_library`, as its cookie names it) first."""
    config, _store, _searcher = services()
    names = current_app.extensions["unioncat"]["names"]
    harvested = harvest_times()
    grouped: dict[str, dict] = {}
    for holding in view.holdings:
        entry = grouped.setdefault(holding.source, {
            "source": holding.source, "name": names.label(holding.source),
            "harvested": harvested.get(holding.source), "libraries": {}, "holdings": []})
        entry["holdings"].append(holding)
        library = entry["libraries"].setdefault(holding.library, LibraryHoldings(
            holding.library, names.library(holding.source, holding.library, holding.library_name)))
        library.holdings.append(holding)
        library.url = library.url or holding.url
    for entry in grouped.values():
        entry["libraries"] = list(entry["libraries"].values())
        licence = config.collections.licence(entry["source"])
        # a licensed collection has no shelves: who may read it instead; a bibliography lends nothing
        entry["online"] = online_access(config, licence, view, my_library) if licence else None
        entry["bibliography"] = entry["source"] in config.collections.regional_bibliographies
    return order_for_patron(list(grouped.values()), my_library)


def harvest_times() -> dict:
    """When each source was last harvested successfully (cached for a minute)."""
    config, store, _searcher = services()
    extension = current_app.extensions["unioncat"]
    cached = extension.get("harvest_times")
    if cached is None or time.monotonic() - cached[0] > HARVEST_TIMES_TTL:
        codes = {s.code for s in config.sources}
        cached = (time.monotonic(), {code: when for code, when in store.last_successes().items() if code in codes})
        extension["harvest_times"] = cached
    return cached[1]


def other_editions(view: ClusterView) -> list:
    """Other clusters of the same work in the index."""
    _config, _store, searcher = services()
    return searcher.editions(work_key(view), view.id)


def evidence_for(cluster_id: str) -> list[dict]:
    """Why each member belongs to the cluster."""
    _config, store, _searcher = services()
    return [{"record": stored.public_id, "evidence": evidence} for stored, evidence in store.cluster_members(cluster_id)]
