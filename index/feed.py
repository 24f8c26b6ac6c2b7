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
the bottleneck.
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
WORKER_TIMEOUT = 3600           # seconds a worker may take for its share before the rebuild gives up


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
    # forked workers start at once and import nothing again; they must not share the parent's
    # connections (a PostgreSQL socket closed by a child is closed for the parent too), so the
    # pool is emptied first and each worker opens its own engine
    store.engine.dispose()
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    workers = [context.Process(target=_write_segment, args=(ix, store.url, source_names, (n, procs), results), daemon=True)
               for n in range(procs)]
    for worker in workers:
        worker.start()
    try:
        done = [_result(results) for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout=5)
            if worker.is_alive():
                worker.kill()
    segments = [segment for _count, segment in done if segment is not None]
    return sum(count for count, _segment in done), lambda _writer, existing: existing + segments


def _result(results) -> tuple[int, object]:
    try:
        outcome = results.get(timeout=WORKER_TIMEOUT)
    except queue.Empty as exc:
        raise SearchIndexError("an index worker did not finish its share of the rebuild") from exc
    if isinstance(outcome, str):
        raise SearchIndexError(f"an index worker failed: {outcome}")
    return outcome


def _write_segment(ix, url: str, source_names: dict[str, str], share: tuple[int, int], results) -> None:
    """A worker: one share of the batches into a segment of its own (the parent holds the lock)."""
    try:
        from index.writer import Codec

        with Store(url, migrate=False) as store:
            writer = SegmentWriter(ix, _lk=False, codec=Codec(), limitmb=256)
            count = add_all(writer, store, source_names, share)
        # as Whoosh's own multiprocessing writer does: finish the segment and leave the rest to the
        # parent (its commit writes the table of segments; its cleanup removes the shared temp folder)
        results.put((count, writer._finalize_segment() if count else None))
    except Exception:
        results.put(traceback.format_exc(limit=5))
