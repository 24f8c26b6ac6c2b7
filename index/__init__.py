"""The search index over clusters, behind one seam: the web and the CLI use only what this package names.

`engine_for(config)` gives the `Engine` the configuration picks (Whoosh by
default, `index.engine`); it takes and returns the dataclasses below.
"""

from index.documents import ONLINE, SourceNames, work_key
from index.engine import Engine, Searching, Writing, engine_for
from index.errors import QueryError, SearchIndexError
from index.results import (
    BRANCH_SEPARATOR,
    FACETS,
    MAX_DEPTH,
    MAX_PAGE_SIZE,
    OR_FACETS,
    SORTS,
    Edition,
    FacetValue,
    Hit,
    IndexReport,
    SearchRequest,
    SearchResult,
)

__all__ = [
    "BRANCH_SEPARATOR", "FACETS", "MAX_DEPTH", "MAX_PAGE_SIZE", "ONLINE", "OR_FACETS", "SORTS", "SourceNames", "Edition",
    "Engine", "FacetValue", "Hit", "IndexReport", "QueryError", "SearchIndexError", "SearchRequest", "SearchResult",
    "Searching", "Writing",
    "engine_for", "work_key",
]
