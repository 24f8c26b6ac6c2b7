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
from bench.editions import as_new_record, base_corpus, cluster_by_truth, editions, fill, with_new_title
from dedup import merge_clusters, run_dedup
from index.writer import update_index
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
def sized(base):
    """Per size: that many records, made once for both databases."""
    return {size: editions(base, size) for size in SIZES}


@pytest.fixture(scope="module")
def built(sized, tmp_path_factory):
    """Per size: a clustered SQLite store of that many records and its index, made once; tests copy them."""
    out = {}
    for size, copies in sized.items():
        folder = tmp_path_factory.mktemp(f"store{size}")
        with Store(f"sqlite:///{folder / 'store.sqlite'}", migrate=True) as store:
            fill(store, copies)
            cluster_by_truth(store, copies)
            update_index(store, folder / "index", NAMES, rebuild=True)
        out[size] = folder
    return out


@pytest.fixture(scope="module")
def built_on_postgresql(sized, built, pg_server):
    """Per size: the same store in a PostgreSQL database made once; tests clone it.

    Its clusters, ids and change log are those of the SQLite store, entry for
    entry, so the index built from that one serves it too (checked below).
    """
    names = {}
    for size, copies in sized.items():
        names[size] = pg_server.create_database()
        with Store(pg_server.url(names[size])) as store:
            fill(store, copies)
            cluster_by_truth(store, copies)
            with Store(f"sqlite:///{built[size] / 'store.sqlite'}") as twin:
                assert store.latest_change() == twin.latest_change()
                assert store.alive_cluster_ids() == twin.alive_cluster_ids()
    yield names
    for name in names.values():
        pg_server.drop_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def catalogues(request, built, tmp_path):
    """Per size: a fresh copy of the built store (on each database in turn) and its index, opened."""
    opened, clones = {}, []
    for size, folder in built.items():
        shutil.copytree(folder, tmp_path / str(size))
        url = f"sqlite:///{tmp_path / str(size) / 'store.sqlite'}"
        if request.param == "postgresql":
            server, made = request.getfixturevalue("pg_server"), request.getfixturevalue("built_on_postgresql")
            clones.append(server.create_database(template=made[size]))
            url = server.url(clones[-1])
        opened[size] = (Store(url), tmp_path / str(size) / "index")
    yield opened
    for store, _ in opened.values():
        store.close()
    for name in clones:
        request.getfixturevalue("pg_server").drop_database(name)


def change_ten(store: Store, base) -> None:
    """Ten records of the base corpus (in every store): four changed, three deleted, three new copies."""
    # the generated records carry no MARC: distinct bytes make the store see a new version
    changed = [IncomingRecord(c.source, c.local_id, b"revised", "marcxml", with_new_title(c.record)) for c in base[100:104]]
    new = []
    for c in base[300:303]:
        source = next(s for s in SOURCES if s != c.source)
        new.append(IncomingRecord(source, f"{c.local_id}-new", b"", "marcxml", as_new_record(c.record, source, f"{c.local_id}-new")))
    store.write_page(changed + new)
    for c in base[200:203]:
        assert store.mark_deleted(c.source, [c.local_id], by_oai=False) == 1


def test_a_dedup_and_index_run_after_ten_changes_reads_as_many_rows_in_a_store_ten_times_larger(catalogues, base):
    counts = {}
    for size, (store, index_dir) in catalogues.items():
        change_ten(store, base)
        with RowCounter(store.engine) as counter:
            dedup = run_dedup(store)
            index = update_index(store, index_dir, NAMES)
        counts[size] = (counter.read, counter.written)
        assert dedup.rematched >= 10 and index.indexed >= 4, (dedup, index)
    print(f"rows (read, written) after ten changes, by store size: {counts}")
    (small_read, small_written), (large_read, large_written) = counts[SIZES[0]], counts[SIZES[1]]
    # about fifty rows per changed record (its cluster, its candidates by each of its match keys, their
    # clusters): far below the catalogue, and the same in a catalogue ten times larger
    assert 0 < small_read < SIZES[0] / 3, counts
    assert abs(large_read - small_read) < 0.1 * small_read, f"rows read {counts}"
    assert abs(large_written - small_written) < 0.1 * small_written, f"rows written {counts}"


def test_a_librarians_merge_reads_as_many_rows_in_a_store_ten_times_larger(catalogues, base):
    counts = {}
    first, second = _two_editions_held_by_different_members(base)
    for size, (store, _index_dir) in catalogues.items():
        with RowCounter(store.engine) as counter:
            merge_clusters(store, f"{first.source}:{first.local_id}", f"{second.source}:{second.local_id}", "anna",
                           "bench: two editions", override=True)
        counts[size] = counter.read
        print(f"rows read by a merge in a store of {size}: {counter.read}")
        assert store.resolve_cluster(f"{first.source}:{first.local_id}") == store.resolve_cluster(f"{second.source}:{second.local_id}")
    assert 0 < counts[SIZES[0]] < 500 and abs(counts[SIZES[1]] - counts[SIZES[0]]) < 0.1 * counts[SIZES[0]], counts


def _two_editions_held_by_different_members(base):
    """A copy of each of two editions whose copies are in disjoint members (so that the merge can take them all)."""
    sources: dict[int, set[str]] = {}
    for c in base:
        sources.setdefault(c.edition, set()).add(c.source)
    first = base[len(base) // 5]
    second = next(c for c in base[len(base) // 2:] if not sources[c.edition] & sources[first.edition])
    return first, second


@pytest.fixture
def small(base, store_url):
    """A store of the base corpus's first 60 records, clustered by a dedup run (on each database in turn)."""
    with Store(store_url) as store:
        fill(store, base[:60])
        run_dedup(store)
        yield store


def _logged_since(store: Store, position: int) -> dict[str, set]:
    out: dict[str, set] = {"changed": set(), "merged": set(), "emptied": set()}
    for change in store.changes(position):
        out[change.kind].add((change.cluster_id, change.target) if change.kind == "merged" else change.cluster_id)
    return out


def test_the_change_log_names_exactly_the_clusters_a_run_changed_merged_away_or_emptied(small, base):
    assert _logged_since(small, 0)["changed"] == small.alive_cluster_ids()
    position = small.latest_change()
    changed = base[5]
    small.write_page([IncomingRecord(changed.source, changed.local_id, b"revised", "", with_new_title(changed.record))])
    run_dedup(small)
    assert _logged_since(small, position) == {"changed": {small.resolve_cluster(f"{changed.source}:{changed.local_id}")},
                                              "merged": set(), "emptied": set()}
    position = small.latest_change()
    first, second = _two_editions_held_by_different_members(base[:60])
    a, b = (small.resolve_cluster(f"{c.source}:{c.local_id}") for c in (first, second))
    merge_clusters(small, a, b, "anna", "test: two editions", override=True)
    heir = small.resolve_cluster(a)
    absorbed = ({a, b} - {heir}).pop()
    assert _logged_since(small, position) == {"changed": {heir}, "merged": {(absorbed, heir)}, "emptied": set()}
    position = small.latest_change()
    doomed = small.resolve_cluster(f"{base[0].source}:{base[0].local_id}")
    for public_id in small.member_public_ids(doomed):
        source, _, local = public_id.partition(":")
        small.mark_deleted(source, [local], by_oai=False)
    run_dedup(small)
    assert _logged_since(small, position) == {"changed": set(), "merged": set(), "emptied": {doomed}}


def test_a_changed_holdings_record_logs_the_cluster_of_its_bibliographic_record(small, base):
    from normalise import Holding, Record

    parent = base[7]
    cluster = small.resolve_cluster(f"{parent.source}:{parent.local_id}")
    position = small.latest_change()
    holdings = Record(source=parent.source, local_id="h-1", format="holdings", holdings_of=parent.local_id,
                      holdings=[Holding(parent.source, "Reading Room", call_number="QA 76")])
    small.write_page([IncomingRecord(parent.source, "h-1", b"holdings", "", holdings)])
    run_dedup(small)
    assert _logged_since(small, position)["changed"] == {cluster}
    from dedup import cluster_view
    assert "Reading Room" in {h.library for h in cluster_view(small, cluster).holdings}


def test_the_index_follows_the_change_log_and_records_its_position_among_the_consumers(small, base, tmp_path):
    from index import SearchRequest
    from index.searcher import Searcher

    index_dir = tmp_path / "index"
    update_index(small, index_dir, NAMES, rebuild=True)
    assert small.consumer_position(consumer_name(index_dir)) == small.latest_change()
    changed = base[9]
    small.write_page([IncomingRecord(changed.source, changed.local_id, b"revised", "", with_new_title(changed.record))])
    run_dedup(small)
    report = update_index(small, index_dir, NAMES)
    assert (report.indexed, report.removed, report.rebuilt) == (1, 0, False)
    assert small.consumer_position(consumer_name(index_dir)) == small.latest_change()
    assert Searcher(index_dir).search(SearchRequest(q='"revised printing"')).total == 1


def test_a_forgotten_index_is_rebuilt_once_the_log_was_pruned_past_it_and_goes_on_when_it_was_not(small, base,
                                                                                                   tmp_path):
    from index import SearchRequest
    from index.searcher import Searcher

    index_dir = tmp_path / "index"
    update_index(small, index_dir, NAMES, rebuild=True)
    first = base[9]
    second = next(r for r in base[10:60] if small.resolve_cluster(f"{r.source}:{r.local_id}")
                  != small.resolve_cluster(f"{first.source}:{first.local_id}"))
    small.write_page([IncomingRecord(first.source, first.local_id, b"revised", "", with_new_title(first.record))])
    run_dedup(small)
    assert small.forget_consumer(consumer_name(index_dir))
    report = update_index(small, index_dir, NAMES)          # nothing pruned yet: the log still holds its change
    assert (report.indexed, report.rebuilt) == (1, False)
    assert small.forget_consumer(consumer_name(index_dir))
    small.write_page([IncomingRecord(second.source, second.local_id, b"revised", "", with_new_title(second.record))])
    run_dedup(small)
    logged = len(small.changes(0))
    assert small.prune_changes(timedelta(0)) == logged > 0 and small.oldest_change() == 0
    report = update_index(small, index_dir, NAMES)          # its change was pruned unread: rebuilt, not missed
    assert report.rebuilt and small.consumer_position(consumer_name(index_dir)) == small.latest_change()
    assert Searcher(index_dir).search(SearchRequest(q='"revised printing"')).total == 2


def test_pruning_keeps_entries_a_consumer_has_not_passed_and_entries_younger_than_the_age(small):
    latest = small.latest_change()
    small.set_consumer_position("index:a:/x", latest)
    small.set_consumer_position("oai", latest - 10)
    assert small.prune_changes(timedelta(days=1)) == 0
    assert small.prune_changes(timedelta(0)) == latest - 10
    assert [c.seq for c in small.changes(0)] == list(range(latest - 9, latest + 1))
    small.set_consumer_position("oai", latest)
    assert small.prune_changes(timedelta(0)) == 10 and small.changes(0) == []
    run_dedup(small, full=True)        # every cluster is matched again; none changes, so none is logged
    assert small.changes(0) == []
    small.mark_deleted(*_first_source_and_id(small), by_oai=False)
    run_dedup(small)
    assert small.changes(0)[0].seq > latest, "a sequence number was used twice"


def _first_source_and_id(store: Store) -> tuple[str, list[str]]:
    source, _, local = sorted(store.member_public_ids(sorted(store.alive_cluster_ids())[0]))[0].partition(":")
    return source, [local]


def test_changes_prune_from_the_cli_keeps_the_configured_age_and_consumers_show_how_far_behind_they_are(small, tmp_path):
    from click.testing import CliRunner

    from cli import main

    def cli(keep_days, *args):
        (tmp_path / "config.yaml").write_text(f"store: {small.url}\nindex: index\nsources: []\n"
                                              f"change_log: {{keep_days: {keep_days}}}\n")
        return CliRunner().invoke(main, ["--config", str(tmp_path / "config.yaml"), "changes", *args])

    latest = small.latest_change()
    small.set_consumer_position("oai", latest - 5)
    result = cli(0, "consumers")
    assert result.exit_code == 0 and f"latest entry: {latest}" in result.output, result.output
    assert f"oai: at {latest - 5} (5 behind)" in result.output
    result = cli(7, "prune")
    assert result.exit_code == 0 and "0 entries older than 7 days removed" in result.output, result.output
    result = cli(7, "prune", "--older-than", "0")
    assert result.exit_code == 0 and f"{latest - 5} entries older than 0 days removed" in result.output, result.output
    result = cli(-1, "prune")
    assert result.exit_code == 2 and "change_log.keep_days" in result.output, result.output


def test_a_consumer_left_behind_is_named_and_forgotten_from_the_cli(small, tmp_path):
    from click.testing import CliRunner
    from sqlalchemy import update

    from cli import main
    from store import now, schema

    (tmp_path / "config.yaml").write_text(f"store: {small.url}\nindex: index\nsources: []\n"
                                          "change_log: {keep_days: 7}\n")

    def cli(*args):
        return CliRunner().invoke(main, ["--config", str(tmp_path / "config.yaml"), "changes", *args])

    latest = small.latest_change()
    small.set_consumer_position("index:retired:/srv/index", latest - 3)
    small.set_consumer_position("index:live:/srv/index", latest - 3)
    with small.transaction() as conn:
        conn.execute(update(schema.change_consumers).where(schema.change_consumers.c.name == "index:retired:/srv/index")
                     .values(updated_at=now() - timedelta(days=8)))
    listed = cli("consumers").output.splitlines()
    retired = next(line for line in listed if line.startswith("index:retired"))
    assert "holds back pruning" in retired and "unioncat changes forget index:retired:/srv/index" in retired
    assert "holds back pruning" not in next(line for line in listed if line.startswith("index:live"))
    result = cli("forget", "index:retired:/srv/index")
    assert result.exit_code == 0 and "forgotten" in result.output, result.output
    assert [c.name for c in small.consumers()] == ["index:live:/srv/index"]
    result = cli("forget", "index:retired:/srv/index")
    assert result.exit_code == 1 and "no consumer 'index:retired:/srv/index'" in result.output, result.output


def test_a_first_load_and_a_full_run_matched_in_slices_cluster_as_in_one_slice(base, tmp_path, monkeypatch):
    from dedup import run as dedup_run

    copies = base[:600]

    def clustered(batch: int) -> tuple[set, set, object, object]:
        monkeypatch.setattr(dedup_run, "MATCH_BATCH", batch)
        with Store(f"sqlite:///{tmp_path / f'{batch}.sqlite'}", migrate=True) as store:
            fill(store, copies)
            first = run_dedup(store)               # every record new: matched `batch` at a time
            loaded = {frozenset(store.member_public_ids(c)) for c in store.alive_cluster_ids()}
            again = run_dedup(store, full=True)    # every live record again, `batch` at a time
            full = {frozenset(store.member_public_ids(c)) for c in store.alive_cluster_ids()}
            assert store.records_to_match() == []
        return loaded, full, first, again

    whole, whole_full, first, again = clustered(100_000)
    sliced, sliced_full, first_sliced, again_sliced = clustered(37)
    assert sliced == whole and sliced_full == whole_full == whole
    assert first_sliced.records == first.records == len(copies) and first_sliced.clusters == first.clusters
    assert first_sliced.compared == first.compared and again_sliced.compared == again.compared   # each pair once
    assert again_sliced.rematched == again.rematched == len(copies)
    assert len(whole) < len(copies)                # the corpus has editions to cluster: the comparison says something
