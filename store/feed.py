"""The store-to-documents feed: many clusters' records in one query, for the index."""

from __future__ import annotations

from typing import Iterable, Iterator

from sqlalchemy import or_, select

from store import schema
from store.core import chunks
from store.records import StoredRecord, stored_record

t = schema.records
M = schema.cluster_members
C = schema.clusters


class FeedMixin:
    """Reads for the index in batches; see `store.Store`."""

    def cluster_records(self, cluster_ids: Iterable[str]) -> dict[str, list[StoredRecord]]:
        """cluster id -> its live member records in record id order, for many clusters in one query.

        A cluster that is not alive (or has no members) is missing from the answer.
        """
        ids = sorted(set(cluster_ids))
        out: dict[str, list[StoredRecord]] = {}
        query = (select(t, M.c.cluster_id.label("member_of")).join(M, M.c.record_id == t.c.id)
                 .join(C, C.c.id == M.c.cluster_id).where(C.c.alive.is_(True)))
        with self.reading() as conn:
            for chunk in chunks(ids, 1000):
                for row in conn.execute(query.where(M.c.cluster_id.in_(chunk)).order_by(M.c.cluster_id, t.c.id)):
                    out.setdefault(row.member_of, []).append(stored_record(row))
        return out

    def separate_holdings(self, parents: Iterable[tuple[str, str]]) -> dict[tuple[str, str], list[StoredRecord]]:
        """(source, bibliographic 001) -> the live holdings records that point at it (004), in one query."""
        by_source: dict[str, set[str]] = {}
        for source, local in parents:
            if local:
                by_source.setdefault(source, set()).add(local)
        wanted = [(source, chunk) for source, locals_ in sorted(by_source.items()) for chunk in chunks(sorted(locals_), 500)]
        out: dict[tuple[str, str], list[StoredRecord]] = {}
        with self.reading() as conn:
            for group in chunks(wanted, 20):
                condition = or_(*((t.c.source == source) & t.c.parent_id.in_(chunk) for source, chunk in group))
                for row in conn.execute(select(t).where(condition, t.c.deleted.is_(False)).order_by(t.c.id)):
                    out.setdefault((row.source, row.parent_id), []).append(stored_record(row))
        return out

    def cluster_id_batches(self, size: int = 500) -> Iterator[list[str]]:
        """Every live cluster id, in batches of `size`, read a batch at a time (keyset paging)."""
        query = select(C.c.id).where(C.c.alive.is_(True)).order_by(C.c.id).limit(size)
        last = None
        while True:
            with self.reading() as conn:
                batch = list(conn.execute(query if last is None else query.where(C.c.id > last)).scalars())
            if not batch:
                return
            yield batch
            last = batch[-1]
