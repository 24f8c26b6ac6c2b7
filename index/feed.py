"""Every live cluster as index documents, a batch at a time, built on several cores.

A rebuild reads the clusters in batches (two queries per batch, see
`dedup.cluster_views`) and turns them into documents; that is most of its
work, and Python does it on one core. With `procs` > 1 worker processes
each open the store themselves, read and build whole batches, and hand back
plain documents, while the calling process only adds them to the index.
"""

from __future__ import annotations

import multiprocessing
from typing import Iterator

from dedup import cluster_views
from index.documents import document_for
from store import Store

BATCH = 500
_PARALLEL_FROM = 4 * BATCH       # below this many clusters starting processes costs more than it saves
_worker: dict = {}


def documents(store: Store, source_names: dict[str, str], procs: int = 2) -> Iterator[list[dict]]:
    """Lists of documents, one per batch of live clusters in id order."""
    batches = store.cluster_id_batches(BATCH)
    if procs <= 1 or store.cluster_totals()[1] < _PARALLEL_FROM:
        for batch in batches:
            yield batch_documents(store, batch, source_names)
        return
    # spawn, not fork: the caller may hold threads and open connections that a forked child must not share
    context = multiprocessing.get_context("spawn")
    with context.Pool(procs, initializer=_open, initargs=(store.url, source_names)) as pool:
        yield from pool.imap(_build, batches)


def batch_documents(store: Store, cluster_ids: list[str], source_names: dict[str, str]) -> list[dict]:
    """The documents of the live clusters among `cluster_ids`."""
    return [document_for(view, source_names) for view in cluster_views(store, cluster_ids).values() if view is not None]


def _open(url: str, source_names: dict[str, str]) -> None:
    _worker["store"] = Store(url, migrate=False)
    _worker["names"] = source_names


def _build(cluster_ids: list[str]) -> list[dict]:
    return batch_documents(_worker["store"], cluster_ids, _worker["names"])
