"""Write clusters into the Whoosh index: the only writer.

An incremental run re-indexes the clusters changed since the position saved
in the live index and removes the ones that died, committing into the live
index (a Whoosh commit is atomic: its table of contents is written last). A
rebuild writes a new generation aside and switches to it only when complete
(`index.generations`), so that a crash leaves the previous index serving and
the next run finishes the job. The position is saved only after the commit.

Test hook: with `UNIONCAT_INDEX_FAULT` set, a rebuild kills its own process
(SIGKILL) at a named point: `documents:N` after adding N documents,
`committed` after the Whoosh commit, `saved` after saving the position (before
the switch), `switched` after the switch (before removing old generations).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
from pathlib import Path
from typing import Callable, Iterable

from whoosh.codec.whoosh3 import W3Codec, W3PerDocReader
from whoosh.index import LockError

from dedup import cluster_views
from index import feed
from index.documents import document_for
from index.errors import SearchIndexError
from index.generations import finish_interrupted, live_folder, new_generation, remove_old, switch, writing
from index.results import IndexReport
from index.position import changed_clusters, current_position, forgotten_reason, load_position, save_position
from index.schema import make_schema
from index.storage import create_index, missing_fields, open_index
from store import Store
from store.core import chunks

log = logging.getLogger(__name__)
FAULT_ENV = "UNIONCAT_INDEX_FAULT"


class _PerDocReader(W3PerDocReader):
    """Whoosh's per-document reader, remembering that a field keeps no lengths.

    Whoosh looks up a length for every posting it writes; for a field without
    lengths (the matching and facet fields) it asked the file system each time,
    a fifth of the build time.
    """

    def _cached_reader(self, fieldname, column):
        if fieldname not in self._readers:
            self._readers[fieldname] = super()._cached_reader(fieldname, column)
        return self._readers[fieldname]


class Codec(W3Codec):
    """Whoosh's default codec with the length lookup above."""

    def per_document_reader(self, storage, segment):
        return _PerDocReader(storage, segment)


def build_index(index_dir: Path, documents: Iterable[dict], *, procs: int = 1, limitmb: int = 256) -> int:
    """A new live generation in `index_dir` holding `documents` (from `document_for`); returns how many."""
    count = 0

    def fill(_ix, writer):
        nonlocal count
        for document in documents:
            writer.add_document(**document)
            count += 1
            _document_fault(count)

    options = {"procs": procs, "multisegment": True} if procs > 1 else {}
    with writing(Path(index_dir)):
        finish_interrupted(Path(index_dir))
        _write_generation(Path(index_dir), fill, 0, options=options, limitmb=limitmb)
    return count


def update_index(store: Store, index_dir: Path, source_names: dict[str, str], *, rebuild: bool = False,
                 procs: int = 2) -> IndexReport:
    """Bring the index up to date with the store's clusters; rebuild it aside when asked or needed.

    An update re-indexes the clusters the store's change log names after the
    live index's position, fetched in batches; a rebuild streams every live
    cluster in batches on `procs` processes (`index.feed`). Either way the
    position moves, in the index and then among the store's change-log
    consumers, only after the commit.
    """
    index_dir = Path(index_dir)
    with writing(index_dir):
        live, unfinished = finish_interrupted(index_dir)
        reason = "asked for" if rebuild else (_rebuild_reason(live, unfinished)
                                              or forgotten_reason(store, consumer_name(index_dir), load_position(live)))
        if reason:
            log.info("index: rebuilding (%s)", reason)
            report, position = _rebuild(store, index_dir, source_names, procs)
        else:
            report, position = _update(store, live, source_names)
        live = _live_after_run(index_dir)
        store.set_consumer_position(consumer_name(index_dir), position)
        with open_index(live).searcher() as searcher:
            report.total = searcher.doc_count()
    log.info("index: %d clusters indexed, %d removed, %d in all", report.indexed, report.removed, report.total)
    return report


def _rebuild_reason(live: Path | None, unfinished: bool) -> str:
    """Why the live index cannot simply be updated, or "" when it can."""
    if live is None:
        return "no index yet"
    if unfinished:
        return "an interrupted rebuild is finished"
    if load_position(live) is None:
        return "the index has no saved position"
    if missing := missing_fields(open_index(live)):
        return f"built by an older unioncat, without {', '.join(missing)}"
    return ""


def consumer_name(index_dir: Path) -> str:
    """This index's name among the change log's consumers: one per node and folder."""
    return f"index:{socket.gethostname()}:{Path(index_dir).resolve()}"


def _rebuild(store: Store, index_dir: Path, source_names: dict[str, str], procs: int) -> tuple[IndexReport, int]:
    position = current_position(store)   # before reading any cluster: what changes meanwhile is read next time
    report = IndexReport(rebuilt=True)

    def fill(ix, writer):
        report.indexed, merge = feed.rebuild(ix, writer, store, source_names, procs, added=_document_fault)
        return merge

    _write_generation(index_dir, fill, position)
    return report, position


def _write_generation(index_dir: Path, fill: Callable, position: int, *, options: dict | None = None,
                      limitmb: int = 256) -> None:
    """Fill a new generation (`fill(ix, writer)` returns None, or a merge function for the commit), save
    `position` in it, then make it live."""
    folder = new_generation(index_dir)
    ix = create_index(folder, make_schema())
    writer = ix.writer(limitmb=limitmb, codec=Codec(), **(options or {}))
    try:
        merge = fill(ix, writer)
        if merge is not None:
            writer.commit(mergetype=merge)
        else:
            writer.commit()
    except BaseException:
        writer.cancel()   # the half-built folder stays: the next run sees the rebuild unfinished and redoes it
        raise
    _fault("committed")
    save_position(folder, position)
    _fault("saved")
    switch(index_dir, folder)
    _fault("switched")
    remove_old(index_dir)


def _update(store: Store, live: Path, source_names: dict[str, str]) -> tuple[IndexReport, int]:
    since = load_position(live)
    position = current_position(store, since)
    report = IndexReport()
    try:
        writer = open_index(live).writer(limitmb=256, codec=Codec())
    except LockError as exc:
        raise SearchIndexError(f"the index {live} is being written by another process") from exc
    try:
        for batch in chunks(changed_clusters(store, since, position), feed.BATCH):
            for cluster_id, view in cluster_views(store, batch).items():
                if view is None:
                    writer.delete_by_term("id", cluster_id)
                    report.removed += 1
                else:
                    writer.update_document(**document_for(view, source_names))
                    report.indexed += 1
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    save_position(live, position)
    return report, position


def _live_after_run(index_dir: Path) -> Path:
    live = live_folder(index_dir)
    if live is None:
        raise SearchIndexError(f"no index in {index_dir} after writing it")
    return live


def _document_fault(count: int) -> None:
    if os.environ.get(FAULT_ENV, "").startswith("documents:"):
        _fault(f"documents:{count}")


def _fault(point: str) -> None:
    """The test hook described above: kill this process at `point` when asked to."""
    if os.environ.get(FAULT_ENV) == point:
        os.kill(os.getpid(), signal.SIGKILL)
