"""The Whoosh index over clusters: one writer, and a searcher returning plain results."""

from index.errors import QueryError, SearchIndexError
from index.results import MAX_DEPTH, MAX_PAGE_SIZE, SORTS, Edition, FacetValue, Hit, SearchRequest, SearchResult
from index.searcher import Searcher
from index.writer import IndexReport, build_index, update_index

__all__ = [
    "QueryError", "SearchIndexError", "MAX_DEPTH", "MAX_PAGE_SIZE", "SORTS", "Edition", "FacetValue", "Hit",
    "SearchRequest", "SearchResult", "Searcher", "IndexReport", "build_index", "update_index",
]
