"""Exceptions of the index stage."""


class SearchIndexError(Exception):
    """The index is missing, locked or cannot be written."""


class QueryError(SearchIndexError):
    """A patron's search cannot be run; the message says how to fix it.

    `kind` names the rule that was broken and `params` its figures, so that the
    web front end can say the same in the patron's language.
    """

    def __init__(self, message: str, kind: str = "", **params):
        super().__init__(message)
        self.kind = kind
        self.params = params
