"""The query tree (`index.querytree`) as Whoosh queries: the Whoosh engine's side of the seam."""

from __future__ import annotations

from functools import singledispatch

from whoosh import query

from index import querytree as qt
from index.schema import FACET_FIELDS


@singledispatch
def to_whoosh(node) -> query.Query:
    """The Whoosh query that matches what `node` means."""
    raise TypeError(f"not a query tree node: {node!r}")


@to_whoosh.register
def _(node: qt.Term) -> query.Query:
    return query.Term(node.field, node.token)


@to_whoosh.register
def _(node: qt.Phrase) -> query.Query:
    return query.Phrase(node.field, list(node.tokens), slop=1)     # slop 1: the words next to each other


@to_whoosh.register
def _(node: qt.YearRange) -> query.Query:
    return query.NumericRange("year", node.start, node.end)


@to_whoosh.register
def _(node: qt.Filter) -> query.Query:
    return query.Term(FACET_FIELDS[node.facet], node.value)


@to_whoosh.register
def _(node: qt.And) -> query.Query:
    return query.And([to_whoosh(part) for part in node.parts])


@to_whoosh.register
def _(node: qt.Or) -> query.Query:
    return query.Or([to_whoosh(part) for part in node.parts])


@to_whoosh.register
def _(node: qt.Not) -> query.Query:
    return query.Not(to_whoosh(node.part))


@to_whoosh.register
def _(node: qt.MatchAll) -> query.Query:
    return query.Every()


@to_whoosh.register
def _(node: qt.MatchNone) -> query.Query:
    return query.NullQuery
