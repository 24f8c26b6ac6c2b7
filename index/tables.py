"""Per-snapshot tables read once from the index columns: facet values, sort orders, years.

A snapshot of the index (one Whoosh searcher) gets one `Tables`. Building it
reads every document's facet and sort columns once; afterwards facets are
counted by `index.facets`, sorting N matches by year needs no scoring, and a
year range is a bisection. The web process builds the
tables of a new snapshot in the background while the old one keeps serving.
"""

from __future__ import annotations

from array import array
from collections import Counter
from itertools import islice

from index.docsets import EVERYTHING, sorted_range
from index.facets import FacetCounts
from index.schema import FACET_FIELDS

NO_YEAR = 0


class Tables:
    """Facet values and sort orders of every document of one snapshot."""

    def __init__(self, reader):
        self.size = reader.doc_count_all()
        self.deleted = set(range(self.size)) - set(reader.all_doc_ids()) if reader.has_deletions() else set()
        self.live_count = self.size - len(self.deleted)
        self.facets = FacetCounts(reader, self.size)
        self.values = self.facets.values
        self._read_orders(reader)
        self._everything_counts: dict[str, Counter] | None = None
        self._live: set[int] | None = None

    def _read_orders(self, reader) -> None:
        # a missing number reads as the column's minimum, whatever default the field names
        years = [y if 0 < y < 10000 else NO_YEAR for y in reader.column_reader("year")]
        holders = [max(0, h) for h in reader.column_reader("holders")]
        titles = list(reader.column_reader("title_sort"))
        authors = list(reader.column_reader("author_sort"))
        docs = range(self.size)
        by_year = sorted((d for d in docs if years[d] != NO_YEAR), key=years.__getitem__)
        undated = [d for d in docs if years[d] == NO_YEAR]
        # arrays of machine ints: a million-document snapshot keeps a few MB per order, not ~36
        self.year_keys = array("h", (years[d] for d in by_year))
        self.docs_by_year = array("i", by_year)
        self.holders = array("i", holders)
        self.orders = {
            "year": array("i", by_year[::-1] + undated),
            "year_asc": array("i", by_year + undated),
            "title": array("i", sorted(docs, key=lambda d: (not titles[d], titles[d]))),
            "author": array("i", sorted(docs, key=lambda d: (not authors[d], authors[d], titles[d]))),
            # relevance among equals and browsing: most holders first, then the shortest (most specific) title
            "best": array("i", sorted(docs, key=lambda d: (-holders[d], len(titles[d]) or 999))),
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

    def count_all(self, docs) -> dict[str, Counter]:
        """How many of `docs` have each value of each facet: facet -> ordinal -> count."""
        if docs is EVERYTHING:
            return self.everything_counts()
        return self.facets.count_all(docs)

    def count_facet(self, facet: str, docs) -> Counter:
        """How many of `docs` have each value of one facet: ordinal -> count."""
        if docs is EVERYTHING:
            return self.everything_counts()[facet]
        return self.facets.count_one(facet, docs)

    def everything_counts(self) -> dict[str, Counter]:
        """Facet counts over the whole catalogue (every heading, not only the most frequent), once per snapshot."""
        if self._everything_counts is None:
            live = self.live_docs() if self.deleted else range(self.size)
            self._everything_counts = {facet: self.facets.count(facet, live) for facet in FACET_FIELDS}
        return self._everything_counts

    def ordered(self, docs, order: str, start: int, stop: int) -> list[int]:
        """Documents of `docs` from `start` to `stop` in a precomputed order, without scoring."""
        sequence = self.orders[order]
        if docs is EVERYTHING:
            live = (d for d in sequence if d not in self.deleted) if self.deleted else sequence
            return list(islice(live, start, stop))
        # walking the order finds `stop` matches after about stop * size / len(docs) steps;
        # sorting the matches costs about len(docs) steps: take the cheaper
        if len(docs) * len(docs) < stop * self.size:
            return sorted(docs, key=self.ranks[order].__getitem__)[start:stop]
        return list(islice(filter(docs.__contains__, sequence), start, stop))


def _ranks(order, size: int) -> array:
    ranks = array("i", bytes(4 * size))
    for rank, doc in enumerate(order):
        ranks[doc] = rank
    return ranks
