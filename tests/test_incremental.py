"""Work follows change: the change log, and dedup and index runs that read what changed, not the catalogue.

Rows are counted on the store's own engine: an `after_cursor_execute` event
puts a counting wrapper around the DBAPI cursor of every statement that
returns rows, before SQLAlchemy builds its result on it, so every row any
query hands back to Python is counted however it is fetched (one by one, in
chunks or all at once). Rows written are the `rowcount` of the other
statements.
"""

from __future__ import annotations

import shutil
from datetime import timedelta

import pytest
from sqlalchemy import event

from bench.dedup import SOURCES
from bench.editions import base_corpus, cluster_by_truth, editions, fill
from dedup import merge_clusters, run_dedup
from index import update_index
from index.writer import consumer_name
from store import IncomingRecord, Store

SIZES = (2_000, 20_000)
NAMES = {}


class RowCounter:
    """Rows read and written through one engine while it is attached."""

    def __init__(self, engine):
        self.engine, self.read, self.written = engine, 0, 0

    def __enter__(self):
        event.listen(self.engine, "after_cursor_execute", self._count)
        return self

    def __exit__(self, *exc_info):
        event.remove(self.engine, "after_cursor_execute", self._count)

    def _count(self, _conn, cursor, _statement, _parameters, context, _executemany):
        if cursor.description is None:
            self.written += max(cursor.rowcount, 0)
        else:
            context.cursor = _CountingCursor(cursor, self)


class _CountingCursor:
    """A DBAPI cursor that counts the rows fetched from it."""

    def __init__(self, cursor, counter: RowCounter):
        self._cursor, self._counter = cursor, counter

    def fetchone(self):
        row = self._cursor.fetchone()
        self._counter.read += row is not None
        return row

    def fetchmany(self, *args):
        rows = self._cursor.fetchmany(*args)
        self._counter.read += len(rows)
        return rows

    def fetchall(self):
        rows = self._cursor.fetchall()
        self._counter.read += len(rows)
        return rows

    def __iter__(self):
        for row in self._cursor:
            self._counter.read += 1
            yield row

    def __getattr__(self, name):
        return getattr(self._cursor, name)


@pytest.fixture(scope="module")
def base():
    return base_corpus(SIZES[0], seed=11)


@pytest.fixture(scope="module")
def built(base, tmp_path_factory):
    """Per size: a clustered SQLite store of that many records and its index, made once; tests copy them."""
    out = {}
    for size in SIZES:
        folder = tmp_path_factory.mktemp(f"store{size}")
        copies = editions(base, size)
        with Store(f"sqlite:///{folder / 'store.sqlite'}", migrate=True) as store:
            fill(store, copies)
            cluster_by_truth(store, copies)
            update_index(store, folder / "index", NAMES, rebuild=True)
        out[size] = folder
    return out


@pytest.fixture
def catalogues(built, tmp_path):
    """Per size: a fresh copy of the built store and index, opened."""
    opened = {}
    for size, folder in built.items():
        shutil.copytree(folder, tmp_path / str(size))
        opened[size] = (Store(f"sqlite:///{tmp_path / str(size) / 'store.sqlite'}"), tmp_path / str(size) / "index")
    yield opened
    for store, _ in opened.values():
        store.close()


def change_ten(store: Store, base) -> None:
    """Ten records of the base corpus (in every store): four changed, three deleted, three new copies."""
    # the generated records carry no MARC: distinct bytes make the store see a new version
    changed = [IncomingRecord(c.source, c.local_id, b"revised", "marcxml", _retitled(c.record)) for c in base[100:104]]
    new = []
    for c in base[300:303]:
        source = next(s for s in SOURCES if s != c.source)
        new.append(IncomingRecord(source, f"{c.local_id}-new", b"", "marcxml", _moved(c.record, source, f"{c.local_id}-new")))
    store.write_page(changed + new)
    for c in base[200:203]:
        assert store.mark_deleted(c.source, [c.local_id], by_oai=False) == 1


def _retitled(record):
    import copy
    clone = copy.deepcopy(record)
    clone.title += " (revised printing)"
    return clone


def _moved(record, source, local_id):
    import copy
    clone = copy.deepcopy(record)
    clone.source, clone.local_id = source, local_id
    return clone


def test_a_dedup_and_index_run_after_ten_changes_reads_as_many_rows_in_a_store_ten_times_larger(catalogues, base):
    counts = {}
    for size, (store, index_dir) in catalogues.items():
        change_ten(store, base)
        with RowCounter(store.engine) as counter:
            dedup = run_dedup(store)
            index = update_index(store, index_dir, NAMES)
        counts[size] = (counter.read, counter.written)
        assert dedup.rematched >= 10 and index.indexed >= 4, (dedup, index)
    (small_read, small_written), (large_read, large_written) = counts[SIZES[0]], counts[SIZES[1]]
    assert 0 < small_read < SIZES[0] / 4, counts
    assert abs(large_read - small_read) < 0.1 * small_read, f"rows read {counts}"
    assert abs(large_written - small_written) < 0.1 * small_written, f"rows written {counts}"


def test_a_librarians_merge_reads_as_many_rows_in_a_store_ten_times_larger(catalogues, base):
    counts = {}
    for size, (store, _index_dir) in catalogues.items():
        first, second = base[400], base[900]
        with RowCounter(store.engine) as counter:
            merge_clusters(store, f"{first.source}:{first.local_id}", f"{second.source}:{second.local_id}", "anna")
        counts[size] = counter.read
        assert store.resolve_cluster(f"{first.source}:{first.local_id}") == store.resolve_cluster(f"{second.source}:{second.local_id}")
    assert 0 < counts[SIZES[0]] < 500 and abs(counts[SIZES[1]] - counts[SIZES[0]]) < 0.1 * counts[SIZES[0]], counts
