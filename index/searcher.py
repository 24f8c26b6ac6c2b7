"""Search the Whoosh index and return plain results: no Whoosh object leaves this module.

A search is planned once (`index.plan.plan_search`: the checked request and its
engine-neutral query tree), and the tree becomes Whoosh queries
(`index.whoosh_query`). It then runs in three steps. The query and filters become a set of matching
documents (`index.docsets`, no scoring); facet counts are read for that set
from the snapshot's tables (`index.tables`); only the page shown is ranked
(`index.ranking`). Sorting by year, title or author walks a precomputed order
and scores nothing. The page's stored payloads become `Hit`s.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import scoring
from whoosh.index import EmptyIndexError

from index.docsets import EVERYTHING, Deadline, Evaluator, difference, intersect, size, term_docs
from index.errors import SearchIndexError
from index.generations import live_folder, pointed_folder
from index.plan import check_page, plan_search, shape_facets
from index.querytree import SearchPlan
from index.ranking import ranked_page
from index.results import Edition, Hit, SearchRequest, SearchResult
from index.schema import FACET_FIELDS
from index.spelling import suggest
from index.storage import missing_fields, open_index
from index.tables import Tables
from index.whoosh_query import to_whoosh

log = logging.getLogger(__name__)
TIME_LIMIT = 5.0
SYNC_BUILD_BELOW = 50_000    # smaller snapshots are swapped in at once; larger ones in the background


@dataclass
class Snapshot:
    """One committed state of the index with its tables.

    Whoosh's readers share one file position between all their matchers, so two
    threads reading postings at once would read each other's bytes: every use
    of `searcher` holds `lock`. Whoosh is pure Python, so under the GIL this
    costs the web server's threads almost no throughput.
    """

    searcher: object
    tables: Tables
    folder: Path
    lock: threading.Lock = field(default_factory=threading.Lock)


class Searcher:
    """A long-lived, thread-safe searcher over the live index that picks up new commits and generations by itself.

    It opens only the generation the index folder's pointer names, so a rebuild
    in progress is never seen; the last complete index answers until the switch.
    """

    def __init__(self, index_dir: Path, *, time_limit: float = TIME_LIMIT):
        self.index_dir = Path(index_dir)
        self.time_limit = time_limit
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._building = False
        self._retired: list[tuple[float, Snapshot]] = []

    def search(self, request: SearchRequest) -> SearchResult:
        """Run a patron's search; `QueryError` with a helpful message for input that cannot run."""
        plan = plan_search(request)
        snap = self.snapshot()
        deadline = Deadline(self.time_limit)
        with snap.lock:
            return _search(snap, plan, deadline)

    def editions(self, work: str, exclude: str, limit: int = 20) -> list[Edition]:
        """Other clusters of the same work (title and author), newest first."""
        if not work:
            return []
        snap = self.snapshot()
        with snap.lock:
            docs = term_docs(snap.searcher, "work", work, snap.tables.deleted)
            out = []
            for docnum in snap.tables.ordered(docs, "year", 0, limit + 1):
                data = json.loads(snap.searcher.stored_fields(docnum)["payload"])
                if data["id"] != exclude:
                    out.append(Edition(data["id"], data["title"], data["year"], data["format"], data.get("edition", "")))
        return out[:limit]

    def count(self) -> int:
        """Clusters in the index."""
        return self.snapshot().tables.live_count

    def values(self, facet: str) -> list[str]:
        """Every value of `facet` held by a live cluster (for choosing one, such as my library)."""
        tables = self.snapshot().tables
        counts = tables.everything_counts()[facet]
        return [value for ordinal, value in enumerate(tables.values[facet]) if counts.get(ordinal)]

    def warm(self) -> threading.Thread:
        """Open the index in the background, so that the first patron does not wait for the tables."""
        def open_quietly():
            try:
                self.snapshot()
            except SearchIndexError as exc:
                log.info("index not opened yet: %s", exc)

        thread = threading.Thread(target=open_quietly, daemon=True)
        thread.start()
        return thread

    def snapshot(self) -> Snapshot:
        """The newest snapshot ready to serve; a newer commit is prepared without blocking searches."""
        with self._lock:
            snap = self._snapshot
            if snap is None:
                snap = self._snapshot = self._open()
            elif not self._building and self._stale(snap):
                if snap.tables.size < SYNC_BUILD_BELOW:
                    snap = self._replace_or_keep(snap)
                else:
                    self._building = True
                    threading.Thread(target=self._build_in_background, daemon=True).start()
            return snap

    def _stale(self, snap: Snapshot) -> bool:
        """Whether a newer generation is live or the live one has a newer commit."""
        if pointed_folder(self.index_dir) != snap.folder:
            return True
        try:
            return not snap.searcher.up_to_date()
        except OSError:   # its folder was removed: a newer generation is live
            return True

    def _replace_or_keep(self, snap: Snapshot) -> Snapshot:
        """A snapshot of the newest index, or `snap` while that cannot be opened (the next search retries)."""
        try:
            return self._replace(self._open())
        except SearchIndexError as exc:
            log.warning("the new index snapshot cannot be opened yet; serving the previous one: %s", exc)
            return snap

    def _build_in_background(self) -> None:
        try:
            fresh = self._open()
            with self._lock:
                self._replace(fresh)
        except Exception:  # noqa: BLE001 - the old snapshot keeps serving; the next search retries
            log.exception("could not open the new index snapshot")
        finally:
            self._building = False

    def _replace(self, fresh: Snapshot) -> Snapshot:
        """Serve `fresh`; close snapshots retired long enough ago that no search can still be using them."""
        now = time.monotonic()
        keep = []
        for retired_at, old in self._retired:
            if now - retired_at > 2 * self.time_limit + 1 and old.lock.acquire(blocking=False):
                old.searcher.close()
                old.lock.release()
            else:
                keep.append((retired_at, old))
        if self._snapshot is not None:
            keep.append((now, self._snapshot))
        self._retired = keep
        self._snapshot = fresh
        return fresh

    def _open(self) -> Snapshot:
        # a new searcher rather than refresh(): refresh() reuses segment readers and
        # misses deletions committed into segments it already had open
        folder = live_folder(self.index_dir)
        if folder is None:
            raise SearchIndexError(f"no index in {self.index_dir}; run `unioncat index` first")
        started = time.monotonic()
        try:
            ix = open_index(folder)
            searcher = ix.searcher(weighting=scoring.BM25F())
        except (OSError, EmptyIndexError) as exc:   # removed since the pointer was read
            raise SearchIndexError(f"the index in {folder} cannot be opened: {exc}") from exc
        missing = missing_fields(ix)
        if missing:
            searcher.close()
            raise SearchIndexError(f"the index in {self.index_dir} was built by an older version of unioncat"
                                   f" (it has no {', '.join(missing)}); the next nightly run rebuilds it, or run"
                                   " `unioncat index --rebuild`")
        tables = Tables(searcher.reader())
        log.info("index snapshot of %d clusters ready in %.2fs", tables.live_count, time.monotonic() - started)
        return Snapshot(searcher, tables, folder)


def _search(snap: Snapshot, plan: SearchPlan, deadline: Deadline) -> SearchResult:
    """Matches, facets, the ranked page and a suggestion, with the snapshot's lock held."""
    request = plan.request
    evaluator = Evaluator(snap.searcher, snap.tables, deadline)
    q = to_whoosh(plan.query)
    matched = evaluator.docs(q)
    docs = _filtered(evaluator, matched, plan.filters)
    mine = evaluator.docs(to_whoosh(plan.mine)) if plan.mine else None
    result = SearchResult(request, size(docs, snap.tables))
    check_page(result)
    if request.facets:
        result.facets, result.cut = _facets(evaluator, plan, matched, docs)
    if mine is not None:
        result.mine_total = size(intersect(docs, mine), snap.tables)
    start = (request.page - 1) * request.page_size
    ranked, result.partial = _page(evaluator, plan, q, docs, mine, start)
    held = mine if mine is not None else set()
    result.hits = [_hit(snap.searcher.stored_fields(d), d in held) for d in ranked]
    if result.total == 0 and request.q.strip():
        result.suggestion = suggest(snap.searcher, request.q)
    return result


def _filtered(evaluator: Evaluator, docs, filters):
    """`docs` narrowed by every filter node (each facet's node; the values of an OR facet are one `Or`)."""
    for node in filters:
        docs = intersect(docs, evaluator.docs(to_whoosh(node)))
    return docs


def _facets(evaluator: Evaluator, plan: SearchPlan, matched, docs):
    """Facet values counted over `docs`, but an OR facet with a value chosen over the query's matches
    narrowed by every other facet's filters (so its other values say what adding them gives)."""
    tables = evaluator.tables
    all_counts = dict(tables.count_all(docs))
    for facet in plan.counted_apart:
        all_counts[facet] = tables.count_facet(facet, _filtered(evaluator, matched, plan.filters_without(facet)))
    return shape_facets({facet: {tables.values[facet][o]: n for o, n in all_counts[facet].items()}
                         for facet in FACET_FIELDS}, plan.request)


def _page(evaluator: Evaluator, plan: SearchPlan, q, docs, mine, start: int):
    """The document numbers of the page asked for, and whether time ran out."""
    stop = start + plan.request.page_size
    if not (plan.request.mine_first and mine is not None):
        return _ranked(evaluator, plan, q, docs, start, stop)
    tables = evaluator.tables
    first, rest = intersect(docs, mine), difference(docs, mine, tables)
    n_first = size(first, tables)
    page, partial = [], False
    if start < n_first:
        page, partial = _ranked(evaluator, plan, q, first, start, min(stop, n_first))
    if stop > n_first:
        more, late = _ranked(evaluator, plan, q, rest, max(0, start - n_first), stop - n_first)
        page, partial = page + more, partial or late
    return page, partial


def _ranked(evaluator: Evaluator, plan: SearchPlan, q, docs, start: int, stop: int):
    if docs is not EVERYTHING and not docs:
        return [], False
    if not plan.ranked:
        return evaluator.tables.ordered(docs, plan.order, start, stop), False
    return ranked_page(evaluator, q, docs, start, stop)


def _hit(stored: dict, mine: bool) -> Hit:
    data = json.loads(stored["payload"])
    return Hit(data["id"], data["title"], data["authors"], data["year"], data["format"], data["holdings"],
               data.get("edition", ""), data.get("publisher", ""), data.get("isbn", []), mine,
               data.get("languages", []))
