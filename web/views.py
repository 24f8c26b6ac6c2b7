"""Request parsing and cluster assembly shared by the pages and the JSON API."""

from __future__ import annotations

from dataclasses import dataclass

from flask import request

from dedup import ClusterView, cluster_view
from index import QueryError, SearchResult
from index.schema import FACET_FIELDS
from web.app import services


@dataclass
class SearchRequest:
    """A search as the patron asked for it."""

    q: str
    page: int
    filters: dict[str, list[str]]
    sort: str


def parse_search_request() -> SearchRequest:
    """Read q, page, sort and facet filters from the query string; `QueryError` when malformed."""
    raw_page = request.args.get("page", "1").strip() or "1"
    if not raw_page.isdigit():
        raise QueryError(f"The page number {raw_page[:20]!r} is not a whole number.")
    sort = request.args.get("sort", "relevance")
    if sort not in ("relevance", "year", "title"):
        sort = "relevance"
    filters = {name: [v for v in request.args.getlist(name) if v][:10] for name in FACET_FIELDS}
    return SearchRequest(request.args.get("q", ""), int(raw_page[:6]), {k: v for k, v in filters.items() if v}, sort)


def run_search(search: SearchRequest) -> SearchResult:
    """Run a parsed search against the live index."""
    config, _store, searcher = services()
    return searcher.search(search.q, page=search.page, page_size=config.web.page_size,
                           filters=search.filters, sort=search.sort)


def find_cluster(any_id: str) -> tuple[str | None, ClusterView | None]:
    """(the live cluster id, its view) for a cluster, merged-away or member record id."""
    _config, store, _searcher = services()
    cluster_id = store.resolve_cluster(any_id)
    if cluster_id is None:
        return None, None
    return cluster_id, cluster_view(store, cluster_id)


def holdings_by_source(view: ClusterView) -> list[dict]:
    """Holdings grouped per member catalogue, each with its libraries and branches."""
    config, _store, _searcher = services()
    names = {s.code: s.name for s in config.sources}
    grouped: dict[str, dict] = {}
    for holding in view.holdings:
        entry = grouped.setdefault(holding.source, {"source": holding.source,
                                                    "name": names.get(holding.source, holding.source), "holdings": []})
        entry["holdings"].append(holding)
    return list(grouped.values())


def evidence_for(cluster_id: str) -> list[dict]:
    """Why each member belongs to the cluster."""
    _config, store, _searcher = services()
    return [{"record": stored.public_id, "evidence": evidence} for stored, evidence in store.cluster_members(cluster_id)]
