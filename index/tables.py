"""Per-snapshot tables read once from the index columns: facet values, sort orders, years.

A snapshot of the index (one Whoosh searcher) gets one `Tables`. Building it
reads every document's facet and sort columns once; afterwards counting a
facet over N matches is `Counter(map(...))` in C, sorting N matches by year
needs no scoring, and a year range is a bisection. The web process builds the
tables of a new snapshot in the background while the old one keeps serving.
"""

from __future__ import annotations

from collections import Counter
from itertools import chain, islice

from index.docsets import EVERYTHING, sorted_range
from index.schema import FACET_FIELDS, LIST_FACETS

NO_VALUE = -1
NO_YEAR = 0


class Tables:
    """Facet ordinals and sort orders of every document of one snapshot."""

    def __init__(self, reader):
        self.size = reader.doc_count_all()
        self.deleted = set(range(self.size)) - set(reader.all_doc_ids()) if reader.has_deletions() else set()
        self.live_count = self.size - len(self.deleted)
        self.values: dict[str, list[str]] = {}
        self.per_doc: dict[str, list] = {}
        for facet, field in FACET_FIELDS.items():
            self._read_facet(reader, facet, field)
        self._read_orders(reader)
        self._everything_counts: dict[str, Counter] | None = None
        self._live: set[int] | None = None

    def _read_facet(self, reader, facet: str, field: str) -> None:
        ordinals: dict[str, int] = {}
        shared: dict[tuple, tuple] = {}          # identical value lists share one tuple
        per_doc = []
        column = reader.column_reader(field)
        for values in column:
            key = tuple(ordinals.setdefault(v, len(ordinals)) for v in values)
            per_doc.append(shared.setdefault(key, key))
        self.values[facet] = list(ordinals)
        if facet not in LIST_FACETS:
            per_doc = [key[0] if key else NO_VALUE for key in per_doc]
        self.per_doc[facet] = per_doc

    def _read_orders(self, reader) -> None:
        years = list(reader.column_reader("year"))
        holders = list(reader.column_reader("holders"))
        titles = list(reader.column_reader("title_sort"))
        authors = list(reader.column_reader("author_sort"))
        docs = range(self.size)
        by_year = sorted((d for d in docs if years[d] != NO_YEAR), key=years.__getitem__)
        self.year_keys = [years[d] for d in by_year]
        self.docs_by_year = by_year
        self.holders = holders
        undated = [d for d in docs if years[d] == NO_YEAR]
        self.orders = {
            "year": by_year[::-1] + undated,
            "year_asc": by_year + undated,
            "title": sorted(docs, key=lambda d: (not titles[d], titles[d])),
            "author": sorted(docs, key=lambda d: (not authors[d], authors[d], titles[d])),
            # relevance among equals and browsing: most holders first, then the shortest (most specific) title
            "best": sorted(docs, key=lambda d: (-holders[d], len(titles[d]) or 999)),
        }
        self.ranks = {name: _ranks(order, self.size) for name, order in self.orders.items()}

    def live_docs(self) -> set[int]:
        """Every live document as a set (built once, only when a NOT needs it)."""
        if self._live is None:
            self._live = set(range(self.size)) - self.deleted
        return self._live

    def year_docs(self, low: int, high: int) -> set[int]:
        """Live documents published from `low` to `high`."""
        return sorted_range(self.year_keys, self.docs_by_year, low, high) - self.deleted

    def count(self, facet: str, docs) -> Counter:
        """How many of `docs` have each value of `facet` (ordinal -> count)."""
        if docs is EVERYTHING:
            return self.everything_counts()[facet]
        per_doc = self.per_doc[facet]
        if facet in LIST_FACETS:
            return Counter(chain.from_iterable(map(per_doc.__getitem__, docs)))
        counts = Counter(map(per_doc.__getitem__, docs))
        counts.pop(NO_VALUE, None)
        return counts

    def everything_counts(self) -> dict[str, Counter]:
        """Facet counts over the whole catalogue, computed once per snapshot."""
        if self._everything_counts is None:
            live = self.live_docs() if self.deleted else range(self.size)
            self._everything_counts = {facet: self.count(facet, live) for facet in FACET_FIELDS}
        return self._everything_counts

    def ordered(self, docs, order: str, start: int, stop: int) -> list[int]:
        """Documents of `docs` from `start` to `stop` in a precomputed order, without scoring."""
        sequence = self.orders[order]
        if docs is EVERYTHING:
            live = (d for d in sequence if d not in self.deleted) if self.deleted else sequence
            return list(islice(live, start, stop))
        if len(docs) * 8 < self.size:
            # few matches: sort them by rank rather than walk the whole order
            return sorted(docs, key=self.ranks[order].__getitem__)[start:stop]
        return list(islice(filter(docs.__contains__, sequence), start, stop))


def _ranks(order: list[int], size: int) -> list[int]:
    ranks = [0] * size
    for rank, doc in enumerate(order):
        ranks[doc] = rank
    return ranks
