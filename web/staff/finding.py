"""Finding clusters from the staff area: by words, title, identifier, or a cluster or record id."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from dedup import cluster_view
from index import QueryError, SearchIndexError, SearchRequest
from web.app import services
from web.messages import query_error_message

SEARCH_KINDS = {"any": _l("Any words"), "title": _l("Title"), "identifier": _l("ISBN or ISSN"),
                "record": _l("Cluster or record id")}
MAX_FOUND = 20


@dataclass
class Found:
    """One cluster found: its id and what tells it apart."""

    id: str
    title: str
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    format: str = ""
    sources: list[str] = field(default_factory=list)


def find_clusters(q: str, by: str = "any", *, exclude: str | None = None) -> tuple[list[Found], str | None]:
    """(clusters matching `q`, searched `by` one of `SEARCH_KINDS`, without `exclude`; an error message or None)."""
    q = q.strip()
    if not q:
        return [], None
    if by == "record" or (by == "any" and _looks_like_an_id(q)):
        found = _by_id(q)
        if found or by == "record":
            return [f for f in found if f.id != exclude], None
    fields = {"title": {"title": q}, "identifier": {"isbn": q}}.get(by, {"q": q})
    _config, _store, searcher = services()
    try:
        result = searcher.search(SearchRequest(page_size=MAX_FOUND + 1, facets=False, **fields))
    except QueryError as exc:
        return [], query_error_message(exc)
    except SearchIndexError as exc:
        return [], str(exc)
    hits = [Found(h.id, h.title, h.authors, h.year, h.format, sorted({x["source"] for x in h.holdings}))
            for h in result.hits if h.id != exclude]
    return hits[:MAX_FOUND], None


def _looks_like_an_id(q: str) -> bool:
    # a single word may be a cluster id or `source:001`; looking it up is one indexed read
    return " " not in q and len(q) <= 200


def _by_id(any_id: str) -> list[Found]:
    """The live cluster a cluster, merged-away or record id leads to (read from the store, so never stale)."""
    _config, store, _searcher = services()
    cluster_id = store.resolve_cluster(any_id)
    view = cluster_view(store, cluster_id) if cluster_id else None
    if view is None:
        return []
    record = view.record
    return [Found(cluster_id, view.title, list(record.authors), record.year, record.format,
                  sorted({h.source for h in view.holdings}))]
