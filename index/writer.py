"""Write clusters into the Whoosh index: the only writer.

An incremental run re-indexes the clusters changed since the last run and
removes the ones that died; `rebuild` starts from an empty index. The time of
the last run is kept beside the index in `state.json`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterable

from whoosh.codec.whoosh3 import W3Codec, W3PerDocReader
from whoosh.index import LockError

from dedup import cluster_view
from index.documents import document_for
from index.errors import SearchIndexError
from index.schema import make_schema
from index.storage import create_index, exists, missing_fields, open_index
from store import Store, now

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
    _save_run(Path(index_dir), now())
    return count


def update_index(store: Store, index_dir: Path, source_names: dict[str, str], *, rebuild: bool = False) -> IndexReport:
    """Bring the index up to date with the store's clusters."""
    started = now()
    last = None if rebuild else _last_run(index_dir)
    ix = open_or_create(index_dir, rebuild=last is None)
    if last is not None and (missing := missing_fields(ix)):
        log.info("index: built by an older unioncat (no %s); rebuilding it", ", ".join(missing))
        last = None
        ix = open_or_create(index_dir, rebuild=True)
    rebuild = last is None
    report = IndexReport(rebuilt=rebuild)
    try:
        writer = ix.writer(limitmb=256, codec=Codec())
    except LockError as exc:
        raise SearchIndexError(f"the index {index_dir} is being written by another process") from exc
    try:
        for cluster_id in store.cluster_ids(changed_since=last):
            view = cluster_view(store, cluster_id)
            if view is None:
                writer.delete_by_term("id", cluster_id)
                continue
            writer.update_document(**document_for(view, source_names))
            report.indexed += 1
        if not rebuild:
            for cluster_id in store.cluster_ids(changed_since=last, alive=False):
                writer.delete_by_term("id", cluster_id)
                report.removed += 1
        writer.commit(optimize=rebuild)
    except Exception:
        writer.cancel()
        raise
    _save_run(index_dir, started)
    with ix.searcher() as searcher:
        report.total = searcher.doc_count()
    log.info("index: %d clusters indexed, %d removed, %d in all", report.indexed, report.removed, report.total)
    return report


def _last_run(index_dir: Path) -> datetime | None:
    path = index_dir / STATE_FILE
    if not path.exists() or not exists(index_dir):
        return None
    try:
        return datetime.fromisoformat(json.loads(path.read_text())["indexed_at"])
    except (ValueError, KeyError, OSError):
        return None


def _save_run(index_dir: Path, started: datetime) -> None:
    (index_dir / STATE_FILE).write_text(json.dumps({"indexed_at": started.isoformat()}))
