"""The Whoosh index over clusters: one writer, and a searcher returning plain results."""

from index.errors import QueryError, SearchIndexError
from index.searcher import Hit, SearchResult, Searcher, parse_query
from index.writer import IndexReport, update_index

__all__ = ["QueryError", "SearchIndexError", "Hit", "SearchResult", "Searcher", "parse_query", "IndexReport", "update_index"]
