"""Every live cluster into an empty index, a batch at a time, on several cores.

A rebuild reads the clusters in batches (two queries per batch, see
`dedup.cluster_views`), turns them into documents and indexes them; Python
does all three on one core, and Whoosh's indexing is most of it. With
`procs` > 1 each of `procs` worker processes takes every `procs`-th batch,
reads it from the store itself, builds and indexes its documents into a
segment of its own, and hands back only the finished segment; the calling
process, which holds the index's lock, commits them all at once. Measured
(bench/nightly.py) against building the documents in workers for one
writer, and against Whoosh's own `procs` writer, which pickles every
document to its workers: both gained little, as the single writer stayed
the bottleneck. `in_workers` is the same sharing for any engine: the
SolrCloud rebuild sends each worker's share straight to the cluster.
"""

from __future__ import annotations

import multiprocessing
import queue
import traceback
from typing import Callable

from whoosh.writing import SegmentWriter

from dedup import cluster_views
from index.documents import document_for
from index.errors import SearchIndexError
from store import Store

BATCH = 500
PARALLEL_FROM = 4 * BATCH       # below this many clusters starting processes costs more than it saves
POLL = 1.0                      # seconds between looks at whether a silent worker is still alive


def batch_documents(store: Store, cluster_ids: list[str], source_names: dict[str, str]) -> list[dict]:
    """The documents of the live clusters among `cluster_ids`."""
    return [document_for(view, source_names) for view in cluster_views(store, cluster_ids).values() if view is not None]


def add_all(writer, store: Store, source_names: dict[str, str], share: tuple[int, int] = (0, 1),
            added: Callable[[int], None] | None = None) -> int:
    """Add the documents of every live cluster (of every `share[1]`-th batch from `share[0]`) to `writer`;
    `added` hears the count after each."""
    count = 0
    number, of = share
    for n, batch in enumerate(store.cluster_id_batches(BATCH)):
        if n % of == number:
            for document in batch_documents(store, batch, source_names):
                writer.add_document(**document)
                count += 1
                if added is not None:
                    added(count)
    return count


def rebuild(ix, writer, store: Store, source_names: dict[str, str], procs: int,
            added: Callable[[int], None] | None = None) -> tuple[int, Callable | None]:
    """Fill the empty index `ix` (whose `writer` holds the lock) with every live cluster.

    Returns the count and the merge function to commit with: None to commit
    `writer` as usual (one process did the work), else one that adds the
    workers' segments.
    """
    if procs <= 1 or store.cluster_totals()[1] < PARALLEL_FROM:
        return add_all(writer, store, source_names, added=added), None
    done = in_workers(store, procs, lambda own, share: _write_segment(ix, own, source_names, share))
    segments = [segment for _count, segment in done if segment is not None]
    return sum(count for count, _segment in done), lambda _writer, existing: existing + segments


def in_workers(store: Store, procs: int, work: Callable[[Store, tuple[int, int]], object]) -> list:
    """`work(its_own_store, (n, procs))` in each of `procs` forked processes; their results.

    Raises `SearchIndexError` as soon as one fails or dies without answering.
    """
    # forked workers start at once and import nothing again; they must not share the parent's
    # connections (a PostgreSQL socket closed by a child is closed for the parent too), so the
    # pool is emptied first and each worker opens its own engine
    store.engine.dispose()
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    workers = [context.Process(target=_worker, args=(store.url, work, (n, procs), results), daemon=True)
               for n in range(procs)]
    for worker in workers:
        worker.start()
    try:
        return _results(results, workers)
    finally:
        for worker in workers:
            worker.join(timeout=5)
            if worker.is_alive():
                worker.kill()


def _worker(url: str, work: Callable, share: tuple[int, int], results) -> None:
    """A worker process: `work` on a store of its own; its result, or its traceback as a string."""
    try:
        with Store(url, migrate=False) as store:
            results.put(work(store, share))
    except Exception:
        results.put(traceback.format_exc(limit=5))


def _results(results, workers: list) -> list[tuple[int, object]]:
    """Each worker's (count, segment), however long a share takes (a national catalogue's rebuild takes
    hours on a busy machine); an error as soon as a worker fails or dies without answering."""
    done: list[tuple[int, object]] = []
    all_gone = False
    while len(done) < len(workers):
        try:
            outcome = results.get(timeout=POLL)
        except queue.Empty:
            # a worker's result is in the queue before it exits (the feeder thread is joined at exit):
            # a worker killed (out of memory, a signal) exits non-zero without one; all gone for a
            # whole poll with results missing is the same
            dead = [w.exitcode for w in workers if w.exitcode not in (None, 0)]
            if dead or all_gone:
                raise SearchIndexError(f"an index worker died without finishing its share of the rebuild "
                                       f"(exit code {dead[0] if dead else 0})") from None
            all_gone = all(w.exitcode is not None for w in workers)
            continue
        if isinstance(outcome, str):
            raise SearchIndexError(f"an index worker failed: {outcome}")
        done.append(outcome)
    return done


def _write_segment(ix, store: Store, source_names: dict[str, str], share: tuple[int, int]) -> tuple[int, object]:
    """A worker's share of the batches into a segment of its own (the parent holds the lock)."""
    from index.writer import Codec

    writer = SegmentWriter(ix, _lk=False, codec=Codec(), limitmb=256)
    count = add_all(writer, store, source_names, share)
    # as Whoosh's own multiprocessing writer does: finish the segment and leave the rest to the
    # parent (its commit writes the table of segments; its cleanup removes the shared temp folder)
    return count, writer._finalize_segment() if count else None
