"""What every engine does the same around a search: checking the request, parsing it once, shaping facets.

`plan_search` turns a patron's `SearchRequest` into a `SearchPlan` (the
checked request and its query tree); an engine executes the plan, counts
facet values of the matches by their indexed values, and hands the counts
to `shape_facets`, so that facets are ordered, cut and marked alike on every
engine.
"""

from __future__ import annotations

from dataclasses import replace

from index.errors import QueryError
from index.query import facet_filter, parse_request
from index.querytree import Node, Or, SearchPlan
from index.results import FACETS, MAX_DEPTH, MAX_PAGE_SIZE, OR_FACETS, SORTS, FacetValue, SearchRequest, SearchResult

MAX_FILTER_VALUES = 10
FACET_LIMITS = {"library": 30, "branch": 20, "online": 1, "collection": 10, "format": 20, "language": 15, "year": 15,
                "subject": 15, "author": 15}
EXPANDED_LIMIT = 200


def plan_search(request: SearchRequest) -> SearchPlan:
    """The checked request and its query tree; `QueryError` with a helpful message when it cannot run."""
    request = checked(request)
    tree = parse_request(request)
    mine = facet_filter("library", request.my_library) if request.my_library else None
    return SearchPlan(request, tree, facet_filters(request.filters), mine)


def facet_filters(filters: dict[str, list[str]]) -> tuple[tuple[str, Node], ...]:
    """(facet, node) for the chosen values: one `Or` of a facet's values in OR_FACETS, else one node per value."""
    out = []
    for name, values in filters.items():
        nodes = [facet_filter(name, value) for value in values]
        if name in OR_FACETS and len(nodes) > 1:
            out.append((name, Or(tuple(nodes))))
        else:
            out.extend((name, node) for node in nodes)
    return tuple(out)


def checked(request: SearchRequest) -> SearchRequest:
    """The request with a bounded page size and page, and only known sorts and filters."""
    page_size = max(1, min(int(request.page_size), MAX_PAGE_SIZE))
    # a page past the last is refused by `check_page` once the matches are counted, naming the real last page
    if request.page < 1:
        raise QueryError(f"There is no page {request.page}; results start at page 1.", "page_start",
                         page=request.page)
    if request.sort not in SORTS:
        raise QueryError(f"Results cannot be sorted by {request.sort[:20]!r}.", "bad_sort", value=request.sort[:20])
    filters = {}
    for name, values in request.filters.items():
        if name not in FACETS:
            raise QueryError(f"There is no filter called {name[:20]!r}.", "unknown_filter", value=name[:20])
        values = list(dict.fromkeys(v for v in values if v))
        if len(values) > MAX_FILTER_VALUES:
            raise QueryError(f"At most {MAX_FILTER_VALUES} values of one filter can be combined.", "too_many_values",
                             limit=MAX_FILTER_VALUES)
        if values:
            filters[name] = values
    expand = request.expand if request.expand in FACETS else ""
    return replace(request, page_size=page_size, filters=filters, expand=expand)


def check_page(result: SearchResult) -> None:
    """`QueryError` when the page asked for lies beyond the last page of `result`'s matches."""
    if result.request.page > result.pages:
        raise QueryError(f"There is no page {result.request.page} of these results; the last is page {result.pages}.",
                         "page_range", page=result.request.page, limit=result.pages)


def beyond_depth(request: SearchRequest) -> bool:
    """Whether the page asked for starts past MAX_DEPTH (never fetched: `check_page` refuses it)."""
    return request.page > max(1, MAX_DEPTH // request.page_size)


def facet_limit(facet: str, request: SearchRequest) -> int:
    """How many values of `facet` are shown: FACET_LIMITS, or EXPANDED_LIMIT for the facet asked for whole."""
    return EXPANDED_LIMIT if facet == request.expand else FACET_LIMITS[facet]


def shape_facets(counts: dict[str, dict[str, int]], request: SearchRequest) -> tuple[dict[str, list[FacetValue]],
                                                                                      tuple[str, ...]]:
    """Facet values to show from the matches' counts by indexed value (a decade such as "1990" for years):
    the commonest first (years newest first), cut at `facet_limit`, chosen values always kept and marked;
    and the facets that were cut."""
    out, cut = {}, []
    for facet in FACETS:
        chosen = set(request.filters.get(facet, ()))
        values = [(_facet_value(facet, value), n) for value, n in counts.get(facet, {}).items() if n]
        if facet == "year":
            values.sort(key=lambda vn: vn[0], reverse=True)
        else:
            values.sort(key=lambda vn: (-vn[1], vn[0]))
        limit = facet_limit(facet, request)
        shown = values[:limit] + [vn for vn in values[limit:] if vn[0] in chosen]
        out[facet] = [FacetValue(v, n, v in chosen) for v, n in shown]
        if len(values) > len(shown):
            cut.append(facet)
    return out, tuple(cut)


def _facet_value(facet: str, value: str) -> str:
    """A decade as the year range that filters it; other values as indexed."""
    return f"{value}-{int(value) + 9}" if facet == "year" else value
