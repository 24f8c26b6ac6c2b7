"""The set of documents a query matches, without scoring them.

Counting facets and sorting by a column need every match but no score;
Whoosh's collectors would score (or at least visit) each hit in Python. Here
a term's postings are read a block at a time into a Python set, and AND, OR
and NOT become set operations that run in C. A word looked for in every text
field reads the one positionless `text` field instead of six positional ones.
Phrases go through Whoosh's own matchers; year ranges are a bisection.
"""

from __future__ import annotations

import time
from bisect import bisect_left, bisect_right
from itertools import accumulate

from whoosh import query
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher

from index.errors import QueryError
from index.schema import MATCH_FIELD, TEXT_FIELDS


class Everything:
    """Every live document: kept symbolic so that browsing needs no set of a million numbers."""

    def __repr__(self):
        return "Everything"


EVERYTHING = Everything()


class Deadline:
    """A search's time budget, checked between steps."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def check(self) -> None:
        """Raise `QueryError` when the budget is spent."""
        if time.monotonic() > self.end:
            raise QueryError(f"The search took longer than {self.seconds:g} seconds; add words or filters to narrow it.",
                             "too_slow", seconds=self.seconds)

    @property
    def left(self) -> float:
        """Seconds left, at least a little so that a last step can still run."""
        return max(0.05, self.end - time.monotonic())


class Evaluator:
    """Docsets of queries over one snapshot, remembered for the length of one search."""

    def __init__(self, searcher, tables, deadline: Deadline):
        self.searcher = searcher
        self.tables = tables
        self.deadline = deadline
        self._memo: dict = {}

    def docs(self, q: query.Query):
        """The live documents matching `q`: `EVERYTHING` or a set of document numbers."""
        key = _key(q)
        if key not in self._memo:
            self.deadline.check()
            self._memo[key] = self._evaluate(q)
        return self._memo[key]

    def term(self, fieldname: str, text) -> set[int]:
        """The live documents holding one term."""
        return self.docs(query.Term(fieldname, text))

    def _evaluate(self, q: query.Query):
        tables = self.tables
        if isinstance(q, query.Every):
            return EVERYTHING
        if isinstance(q, query.Term):
            return term_docs(self.searcher, q.fieldname, q.text, tables.deleted)
        if isinstance(q, query.NumericRange) and q.fieldname == "year":
            return tables.year_docs(q.start, q.end)
        if isinstance(q, query.And):
            return self._intersect(q.subqueries)
        if isinstance(q, query.Or):
            return self._union(q.subqueries)
        if isinstance(q, query.Not):
            return difference(EVERYTHING, self.docs(q.query), tables)
        if isinstance(q, query.AndNot):
            return difference(self.docs(q.a), self.docs(q.b), tables)
        if q is query.NullQuery:
            return set()
        return set(self.searcher.docs_for_query(q)) - tables.deleted

    def _intersect(self, subqueries):
        negatives = [s.query for s in subqueries if isinstance(s, query.Not)]
        positives = [s for s in subqueries if not isinstance(s, query.Not)]
        result = EVERYTHING
        for sub in positives:
            result = intersect(result, self.docs(sub))
            if not result:
                return set()
        for sub in negatives:
            result = difference(result, self.docs(sub), self.tables)
        return result

    def _union(self, subqueries):
        everywhere, rest = _collapse_text_fields(subqueries)
        result = set()
        for sub in [query.Term(MATCH_FIELD, text) for text in everywhere] + rest:
            docs = self.docs(sub)
            if docs is EVERYTHING:
                return EVERYTHING
            result |= docs
        return result


def _collapse_text_fields(subqueries) -> tuple[list, list]:
    """Words looked for in every text field (to read from `text` once), and the other subqueries."""
    fields_of: dict = {}
    for sub in subqueries:
        if isinstance(sub, query.Term) and sub.fieldname in TEXT_FIELDS:
            fields_of.setdefault(sub.text, set()).add(sub.fieldname)
    everywhere = [text for text, fields in fields_of.items() if len(fields) == len(TEXT_FIELDS)]
    rest = [sub for sub in subqueries
            if not (isinstance(sub, query.Term) and sub.fieldname in TEXT_FIELDS and sub.text in everywhere)]
    return everywhere, rest


def _key(q: query.Query):
    try:
        hash(q)
        return q
    except TypeError:
        return repr(q)


def intersect(a, b):
    """a AND b, either of which may be `EVERYTHING`."""
    if a is EVERYTHING:
        return b
    if b is EVERYTHING:
        return a
    return a & b if len(a) <= len(b) else b & a


def difference(a, b, tables):
    """a AND NOT b."""
    if b is EVERYTHING:
        return set()
    if a is EVERYTHING:
        return tables.live_docs() - b
    return a - b


def size(docs, tables) -> int:
    """How many documents a docset holds."""
    return tables.live_count if docs is EVERYTHING else len(docs)


def term_docs(searcher, fieldname: str, text, deleted: set[int]) -> set[int]:
    """The live documents containing one term, read a postings block at a time."""
    docs: set[int] = set()
    for leaf, offset in searcher.leaf_searchers():
        reader = leaf.reader()
        if (fieldname, text) not in reader:
            continue
        ids = _leaf_ids(reader.postings(fieldname, text))
        docs.update(ids if offset == 0 else (offset + i for i in ids))
    return docs - deleted if deleted else docs


def _leaf_ids(matcher):
    if isinstance(matcher, FilterMatcher):
        matcher = matcher.child       # deleted documents are removed by the caller
    if not isinstance(matcher, W3LeafMatcher):
        return list(matcher.all_ids())
    ids = []
    # the codec's private block reader: one unpickle per block of up to 128 postings, whose
    # delta-coded ids are summed in C (the codec's own decoder is a Python generator)
    while matcher.is_active():
        if matcher._data is None:
            matcher._read_data()
        block = matcher._data[0]
        ids.extend(block if matcher._byteids else accumulate(block))
        matcher._next_block()
    return ids


def sorted_range(keys: list[int], docs: list[int], low: int, high: int) -> set[int]:
    """Documents whose key is within [low, high], from `docs` sorted by `keys`."""
    return set(docs[bisect_left(keys, low):bisect_right(keys, high)])
