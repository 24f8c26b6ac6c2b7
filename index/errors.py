"""Exceptions of the index stage."""


class SearchIndexError(Exception):
    """The index is missing, locked or cannot be written."""


class QueryError(SearchIndexError):
    """A patron's query cannot be run; the message says how to fix it."""
