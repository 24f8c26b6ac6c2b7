"""Where an index lives on disk: opening and creating it.

Whoosh opens a segment's compound file through `mmap` by default, and then
copies each part it reads (postings, term index) from the map into a
`BytesIO`: a million-cluster index took 1.4 GB of private memory per open
snapshot that way, and the web process holds two while it swaps in a new
commit. Opened as plain files the same index takes about 40 MB before its
tables, and searches measured as fast (`bench/search.py`), since the
operating system's page cache keeps the hot parts in memory, shared.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from whoosh.filedb.filestore import FileStorage

from index.schema import make_schema


def storage(index_dir: Path) -> FileStorage:
    """The folder `index_dir` as Whoosh storage read through plain files."""
    return FileStorage(str(index_dir), supports_mmap=False)


def exists(index_dir: Path) -> bool:
    """Whether `index_dir` holds an index."""
    return Path(index_dir).is_dir() and storage(index_dir).index_exists()


def open_index(index_dir: Path):
    """The Whoosh index in `index_dir` (which must exist)."""
    return storage(index_dir).open_index()


def missing_fields(ix) -> list[str]:
    """The fields of this version's schema that the index `ix` lacks: it was built by an older unioncat."""
    return sorted(_schema_fields() - set(ix.schema.names()))


@cache
def _schema_fields() -> frozenset[str]:
    return frozenset(make_schema().names())


def create_index(index_dir: Path, schema):
    """A new, empty Whoosh index in `index_dir`, replacing any there."""
    Path(index_dir).mkdir(parents=True, exist_ok=True)
    return storage(index_dir).create_index(schema)
