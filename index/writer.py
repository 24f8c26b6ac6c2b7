"""Write clusters into the Whoosh index: the only writer.

An incremental run re-indexes the clusters the store's change log names since
the index's position and removes the ones that died; `rebuild` starts from an
empty index. The position (a change-log sequence number) is kept beside the
index in `state.json`.
"""

from __future__ import annotations

import json
import logging
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from whoosh.codec.whoosh3 import W3Codec, W3PerDocReader
from whoosh.index import LockError

from dedup import cluster_views
from index import feed
from index.documents import document_for
from index.errors import SearchIndexError
from index.schema import make_schema
from index.storage import create_index, exists, missing_fields, open_index
from store import Store, now
from store.core import chunks

log = logging.getLogger(__name__)
STATE_FILE = "state.json"


@dataclass
class IndexReport:
    """What an index run did."""

    indexed: int = 0
    removed: int = 0
    rebuilt: bool = False
    total: int = 0

    def to_dict(self) -> dict:
        """JSON-ready summary."""
        return dict(self.__dict__)


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


def open_or_create(index_dir: Path, *, rebuild: bool = False):
    """The Whoosh index in `index_dir`, created when missing or when rebuilding."""
    if rebuild or not exists(index_dir):
        return create_index(index_dir, make_schema())
    return open_index(index_dir)


def build_index(index_dir: Path, documents: Iterable[dict], *, procs: int = 1, limitmb: int = 256) -> int:
    """A new index in `index_dir` holding `documents` (from `document_for`); returns how many."""
    ix = open_or_create(Path(index_dir), rebuild=True)
    options = {"procs": procs, "multisegment": True} if procs > 1 else {}
    writer = ix.writer(limitmb=limitmb, codec=Codec(), **options)
    count = 0
    try:
        for document in documents:
            writer.add_document(**document)
            count += 1
        writer.commit()
    except Exception:
        writer.cancel()
        raise
    return count


def update_index(store: Store, index_dir: Path, source_names: dict[str, str], *, rebuild: bool = False,
                 procs: int = 2) -> IndexReport:
    """Bring the index up to date with the store's clusters, following the change log.

    An update re-indexes the clusters named in the change log since the
    index's position (fetched in batches) and removes the dead ones; a rebuild
    streams every live cluster in batches, building documents in `procs`
    processes. Either way the position moves, in the index folder and in the
    store's consumer table, only after the commit.
    """
    position = None if rebuild else _position(index_dir)
    ix = open_or_create(index_dir, rebuild=position is None)
    if position is not None and (missing := missing_fields(ix)):
        log.info("index: built by an older unioncat (no %s); rebuilding it", ", ".join(missing))
        position = None
        ix = open_or_create(index_dir, rebuild=True)
    # read first: whatever changes meanwhile is fetched again next time; never behind the
    # position (a log pruned empty answers 0)
    upto = max(store.latest_change(), position or 0)
    report = IndexReport(rebuilt=position is None)
    try:
        writer = ix.writer(limitmb=256, codec=Codec())
    except LockError as exc:
        raise SearchIndexError(f"the index {index_dir} is being written by another process") from exc
    try:
        if position is None:
            report.indexed, merge = feed.rebuild(ix, writer, store, source_names, procs)
        else:
            (report.indexed, report.removed), merge = _write_changes(writer, store, source_names, position, upto), None
        if merge is not None:
            writer.commit(mergetype=merge)
        else:
            writer.commit(optimize=position is None)
    except Exception:
        writer.cancel()
        raise
    _save_position(index_dir, upto)
    store.set_consumer_position(consumer_name(index_dir), upto)
    with ix.searcher() as searcher:
        report.total = searcher.doc_count()
    log.info("index: %d clusters indexed, %d removed, %d in all", report.indexed, report.removed, report.total)
    return report


def consumer_name(index_dir: Path) -> str:
    """This index's name among the change log's consumers: one per node and folder."""
    return f"index:{socket.gethostname()}:{Path(index_dir).resolve()}"


def _write_changes(writer, store: Store, source_names: dict[str, str], position: int, upto: int) -> tuple[int, int]:
    """Re-index the clusters the change log names after `position`; returns (indexed, removed)."""
    indexed = removed = 0
    for batch in chunks(store.changed_cluster_ids(position, upto), feed.BATCH):
        for cluster_id, view in cluster_views(store, batch).items():
            if view is None:
                writer.delete_by_term("id", cluster_id)
                removed += 1
            else:
                writer.update_document(**document_for(view, source_names))
                indexed += 1
    return indexed, removed


def _position(index_dir: Path) -> int | None:
    """The change-log sequence number the index holds everything up to; None when it must be built."""
    path = index_dir / STATE_FILE
    if not path.exists() or not exists(index_dir):
        return None
    try:
        return int(json.loads(path.read_text())["change_seq"])
    except (ValueError, KeyError, TypeError, OSError):
        return None      # an index from before the change log (or a damaged state file): rebuild


def _save_position(index_dir: Path, position: int) -> None:
    (index_dir / STATE_FILE).write_text(json.dumps({"change_seq": position, "indexed_at": now().isoformat()}))
