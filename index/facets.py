"""Facet counts for a set of matching documents, without visiting each match per facet in Python.

Each snapshot reads every document's facet values once from the list columns
(`per_doc`: an ordinal, or a tuple of ordinals, per document). Counting then
takes one of two paths:

- few matches (under BITMAP_FROM, or a 40th of a large catalogue): `Counter`
  over the matches' ordinals, in C;
- many matches: the matches become one bitmap (a Python int, one bit per
  document) and each facet value's count is `(matches & value).bit_count()`,
  a few microseconds per value however many documents match (a rare value
  keeps a tuple of its documents instead and probes the set). Every value of
  library, format, language and year has a bitmap; of the many subject and
  author headings only the TOP_HEADINGS most frequent in the catalogue do, so
  for large result sets those two facets offer the catalogue's most frequent
  headings, each with its exact count among the matches.
"""

from __future__ import annotations

from array import array
from collections import Counter, deque
from itertools import chain, repeat

from index.schema import FACET_FIELDS, LIST_FACETS

NO_VALUE = -1
# bitmaps pay off from a few thousand matches, more in a larger catalogue (each AND spans it all)
BITMAP_FROM, BITMAP_FROM_SHARE = 5_000, 40
DENSE_FROM = 500             # a value held by 1 in 500 documents or more gets a bitmap
TOP_HEADINGS = 100
HEADING_FACETS = ("subject", "author")


class FacetCounts:
    """Facet values of every document of one snapshot, and counting over sets of them."""

    def __init__(self, reader, size: int):
        self.size = size
        self.values: dict[str, list[str]] = {}
        self.per_doc: dict[str, list] = {}
        for facet, field in FACET_FIELDS.items():
            self._read(reader, facet, field)
        self.dense: dict[str, dict[int, int]] = {}
        self.sparse: dict[str, dict[int, tuple]] = {}
        for facet in FACET_FIELDS:
            self._index(facet)

    def _read(self, reader, facet: str, field: str) -> None:
        ordinals: dict[str, int] = {}
        shared: dict[tuple, tuple] = {}          # identical value lists share one tuple
        per_doc = []
        for values in reader.column_reader(field):
            key = tuple(ordinals.setdefault(v, len(ordinals)) for v in values)
            per_doc.append(shared.setdefault(key, key))
        self.values[facet] = list(ordinals)
        if facet not in LIST_FACETS:
            per_doc = array("i", (key[0] if key else NO_VALUE for key in per_doc))
        self.per_doc[facet] = per_doc

    def _index(self, facet: str) -> None:
        """The documents holding each value (the most frequent only, for headings): a bitmap when
        they are many, a tuple when they are few enough that probing the matches is cheaper."""
        docs_of: dict[int, list[int]] = {}
        per_doc = self.per_doc[facet]
        if facet in LIST_FACETS:
            for doc, ordinals in enumerate(per_doc):
                for ordinal in ordinals:
                    docs_of.setdefault(ordinal, []).append(doc)
        else:
            for doc, ordinal in enumerate(per_doc):
                if ordinal != NO_VALUE:
                    docs_of.setdefault(ordinal, []).append(doc)
        if facet in HEADING_FACETS:
            docs_of = dict(sorted(docs_of.items(), key=lambda kv: -len(kv[1]))[:TOP_HEADINGS])
        dense = {o: docs for o, docs in docs_of.items() if len(docs) * DENSE_FROM >= self.size}
        self.dense[facet] = {o: to_bitmap(docs, self.size) for o, docs in dense.items()}
        self.sparse[facet] = {o: tuple(docs) for o, docs in docs_of.items() if o not in dense}

    def count_all(self, docs) -> dict[str, Counter]:
        """How many of `docs` (a set) hold each value of each facet: facet -> ordinal -> count."""
        if len(docs) >= max(BITMAP_FROM, self.size // BITMAP_FROM_SHARE):
            matches = to_bitmap(docs, self.size)
            return {facet: self.count_indexed(facet, docs, matches) for facet in FACET_FIELDS}
        return {facet: self.count(facet, docs) for facet in FACET_FIELDS}

    def count_one(self, facet: str, docs) -> Counter:
        """How many of `docs` (a set) hold each value of one facet, by the cheaper path for their number."""
        if len(docs) >= max(BITMAP_FROM, self.size // BITMAP_FROM_SHARE):
            return self.count_indexed(facet, docs, to_bitmap(docs, self.size))
        return self.count(facet, docs)

    def count(self, facet: str, docs) -> Counter:
        """How many of `docs` hold each value of `facet`, visiting each document."""
        per_doc = self.per_doc[facet]
        if facet in LIST_FACETS:
            return Counter(chain.from_iterable(map(per_doc.__getitem__, docs)))
        counts = Counter(map(per_doc.__getitem__, docs))
        counts.pop(NO_VALUE, None)
        return counts

    def count_indexed(self, facet: str, docs: set, matches: int) -> Counter:
        """Counts of the indexed values, for matches given both as a set and as a bitmap."""
        counts = Counter()
        for ordinal, bitmap in self.dense[facet].items():
            found = (matches & bitmap).bit_count()
            if found:
                counts[ordinal] = found
        for ordinal, holders in self.sparse[facet].items():
            found = len(docs.intersection(holders))
            if found:
                counts[ordinal] = found
        return counts


def to_bitmap(docs, size: int) -> int:
    """The set of document numbers `docs` as an int whose bit d is set for each d."""
    marks = bytearray(size)
    deque(map(marks.__setitem__, docs, repeat(1)), maxlen=0)     # one byte per document, in C
    data = bytes(marks)
    bitmap = 0
    for bit in range(8):
        # byte q of data[bit::8] is document 8q+bit: as an int it sits at bit 8q, shifted to 8q+bit
        bitmap |= int.from_bytes(data[bit::8], "little") << bit
    return bitmap
