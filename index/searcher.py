"""Search the index and return plain results: no Whoosh object leaves this module.

The query language is deliberately small: words, "quoted phrases", AND, OR,
NOT and parentheses over the public fields. Wildcards, ranges, fuzzy terms,
boosts and field prefixes are not parsed, so a query can neither reach a
hidden field nor cost fifty times a plain search.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from stdnum import isbn as isbn_mod
from whoosh import index as whoosh_index
from whoosh import qparser, query, scoring, sorting
from whoosh.collectors import FilterCollector, TimeLimitCollector
from whoosh.searching import TimeLimit

from index.errors import QueryError, SearchIndexError
from index.schema import FACET_FIELDS, PUBLIC_FIELDS, make_schema

MAX_QUERY_LENGTH = 500
MAX_TERMS = 32
MAX_PAGE_SIZE = 100
MAX_DEPTH = 1000
TIME_LIMIT = 5.0
SORTS = {"relevance": None, "year": "year", "title": "title_sort"}
SCHEMA = make_schema()
_ISBN_LIKE = re.compile(r"(?<![\w-])(?:97[89][- ]?)?\d[\d -]{7,15}[\dXx](?![\w-])")


@dataclass
class Hit:
    """One cluster in a results list."""

    id: str
    title: str
    authors: list[str]
    year: int | None
    format: str
    holdings: list[dict]


@dataclass
class SearchResult:
    """A page of results with facet counts."""

    query: str
    total: int
    page: int
    page_size: int
    hits: list[Hit] = field(default_factory=list)
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    filters: dict[str, list[str]] = field(default_factory=dict)
    partial: bool = False

    @property
    def pages(self) -> int:
        """The number of pages a patron can reach."""
        return max(1, -(-min(self.total, MAX_DEPTH) // self.page_size))


class Searcher:
    """A long-lived searcher over one index that picks up new commits by itself."""

    def __init__(self, index_dir: Path):
        self.index_dir = Path(index_dir)
        self._lock = threading.Lock()
        self._searcher = None

    def _current(self):
        with self._lock:
            if self._searcher is None or not self._searcher.up_to_date():
                # a new searcher rather than refresh(): refresh() reuses segment readers and
                # misses deletions committed into segments it already had open
                if not whoosh_index.exists_in(str(self.index_dir)):
                    raise SearchIndexError(f"no index in {self.index_dir}; run `unioncat index` first")
                self._searcher = whoosh_index.open_dir(str(self.index_dir)).searcher(weighting=scoring.BM25F())
            return self._searcher

    def search(self, text: str, *, page: int = 1, page_size: int = 20, filters: dict[str, list[str]] | None = None,
               sort: str = "relevance") -> SearchResult:
        """Run a patron's query; raises `QueryError` with a helpful message for bad input."""
        text = (text or "").strip()
        page, page_size = _bounded_page(page, page_size)
        filters = {k: v for k, v in (filters or {}).items() if k in FACET_FIELDS and v}
        parsed = parse_query(text)
        searcher = self._current()
        facets = {name: sorting.FieldFacet(name, allow_overlap=True, maptype=sorting.Count) for name in FACET_FIELDS}
        results = _run(searcher, parsed, page, page_size, _filter(filters), sort, facets)
        hits = [_hit(searcher.stored_fields(docnum)) for docnum in results.docs]
        return SearchResult(text, results.total, page, page_size, hits, results.facets, filters, results.partial)

    def count(self) -> int:
        """Clusters in the index."""
        return self._current().doc_count()


@dataclass
class _Run:
    total: int
    docs: list[int]
    facets: dict[str, list[tuple[str, int]]]
    partial: bool


def _run(searcher, parsed, page, page_size, filter_query, sort, facets) -> _Run:
    sortedby = SORTS.get(sort)
    reverse = sort == "year"
    collector = searcher.collector(limit=page * page_size, sortedby=sortedby, reverse=reverse, groupedby=facets)
    # no SIGALRM: searches run in the web server's worker threads, where signals cannot be set
    collector = TimeLimitCollector(collector, TIME_LIMIT, greedy=True, use_alarm=False)
    if filter_query is not None:
        # outermost: a wrapping collector inside it would bypass the filter
        collector = FilterCollector(collector, filter_query)
    partial = False
    try:
        searcher.search_with_collector(parsed, collector)
    except TimeLimit:
        partial = True
    results = collector.results()
    start = (page - 1) * page_size
    docs = [hit.docnum for hit in list(results)[start:start + page_size]]
    counts = {name: _counts(results.groups(name)) for name in facets}
    return _Run(len(results), docs, counts, partial)


def _counts(groups: dict) -> list[tuple[str, int]]:
    """Facet values (bytes from list columns) as text, most frequent first."""
    decoded = [(k.decode("utf-8") if isinstance(k, bytes) else str(k), n) for k, n in groups.items() if k is not None]
    return sorted(decoded, key=lambda kv: (-kv[1], kv[0]))[:30]


def parse_query(text: str) -> query.Query:
    """The query a patron typed, limited to the safe subset; `QueryError` when unusable."""
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(f"The query is too long ({len(text)} characters; at most {MAX_QUERY_LENGTH}).")
    if not text:
        return query.Every()
    text = _ISBN_LIKE.sub(_normal_isbn, text)
    parser = qparser.MultifieldParser(list(PUBLIC_FIELDS), schema=SCHEMA, group=qparser.AndGroup)
    for plugin in (qparser.WildcardPlugin, qparser.RangePlugin, qparser.BoostPlugin, qparser.FieldsPlugin,
                   qparser.PlusMinusPlugin):
        parser.remove_plugin_class(plugin)
    parsed = parser.parse(text)
    if len(list(parsed.leaves())) > MAX_TERMS * len(PUBLIC_FIELDS):
        raise QueryError(f"The query has too many words (at most {MAX_TERMS}).")
    if parsed is query.NullQuery:
        raise QueryError("The query has no searchable words; try a title, an author or a subject.")
    return parsed


def _normal_isbn(match: re.Match) -> str:
    raw = match.group(0)
    try:
        return isbn_mod.to_isbn13(isbn_mod.validate(raw))
    except Exception:
        return raw


def _filter(filters: dict[str, list[str]]) -> query.Query | None:
    terms = [query.Term(name, value) for name, values in filters.items() for value in values]
    return query.And(terms) if terms else None


def _bounded_page(page: int, page_size: int) -> tuple[int, int]:
    page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    max_page = max(1, MAX_DEPTH // page_size)
    if page < 1 or page > max_page:
        raise QueryError(f"Page {page} is out of range; results can be paged from 1 to {max_page}.")
    return int(page), page_size


def _hit(stored: dict) -> Hit:
    data = json.loads(stored["payload"])
    return Hit(data["id"], data["title"], data["authors"], data["year"], data["format"], data["holdings"])
