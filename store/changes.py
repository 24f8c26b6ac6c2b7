"""The change log: which clusters changed, in order, for every consumer to follow at its own pace.

Dedup writes the log in the transaction that changes the clustering, so a
consumer never sees a clustering without its entries or entries without
their clustering. Each consumer keeps its own position and moves it only
after its own work is durable; entries are pruned only when every consumer
has passed them and they are older than the configured age.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection

from store import schema
from store.core import chunks, now

L = schema.change_log
P = schema.change_consumers
KINDS = ("changed", "merged", "emptied")


@dataclass
class Change:
    """One entry of the change log."""

    seq: int
    cluster_id: str
    kind: str
    target: str | None


@dataclass
class Consumer:
    """A follower of the change log and how far its work is durable."""

    name: str
    position: int
    updated_at: datetime


def log_changes(conn: Connection, changed: Iterable[str], merged: dict[str, str] | None = None,
                emptied: Iterable[str] = ()) -> int:
    """Append entries inside the caller's transaction; returns how many."""
    stamp = now()
    rows = [{"cluster_id": cid, "kind": "changed", "target": None, "created_at": stamp} for cid in sorted(set(changed))]
    rows += [{"cluster_id": old, "kind": "merged", "target": new, "created_at": stamp}
             for old, new in sorted((merged or {}).items())]
    rows += [{"cluster_id": cid, "kind": "emptied", "target": None, "created_at": stamp} for cid in sorted(set(emptied))]
    for chunk in chunks(rows, 5000):
        conn.execute(insert(L), chunk)
    return len(rows)


class ChangesMixin:
    """The change log and its consumers; see `store.Store`."""

    def latest_change(self) -> int:
        """The highest sequence number in the log (0 when it is empty, as after pruning everything)."""
        with self.reading() as conn:
            return conn.execute(select(func.max(L.c.seq))).scalar() or 0

    def oldest_change(self) -> int:
        """The lowest sequence number still in the log (0 when it is empty)."""
        with self.reading() as conn:
            return conn.execute(select(func.min(L.c.seq))).scalar() or 0

    def changes(self, after: int, upto: int | None = None, *, limit: int | None = None) -> list[Change]:
        """Entries with `after` < seq <= `upto`, oldest first."""
        query = select(L.c.seq, L.c.cluster_id, L.c.kind, L.c.target).where(L.c.seq > after).order_by(L.c.seq)
        if upto is not None:
            query = query.where(L.c.seq <= upto)
        if limit is not None:
            query = query.limit(limit)
        with self.reading() as conn:
            return [Change(*row) for row in conn.execute(query)]

    def changed_cluster_ids(self, after: int, upto: int, *, batch: int = 5000) -> list[str]:
        """Every cluster named in the log after `after` up to `upto`, once, in order of first mention."""
        seen: dict[str, None] = {}
        while after < upto:
            entries = self.changes(after, upto, limit=batch)
            if not entries:
                break
            seen.update(dict.fromkeys(e.cluster_id for e in entries))
            after = entries[-1].seq
        return list(seen)

    def consumer_position(self, name: str) -> int | None:
        """Where consumer `name` stands; None when it has never recorded a position."""
        with self.reading() as conn:
            return conn.execute(select(P.c.position).where(P.c.name == name)).scalar()

    def set_consumer_position(self, name: str, position: int) -> None:
        """Record that consumer `name` has made its work up to `position` durable."""
        with self.transaction() as conn:
            values = {"position": position, "updated_at": now()}
            if conn.execute(update(P).where(P.c.name == name).values(**values)).rowcount == 0:
                conn.execute(insert(P).values(name=name, **values))

    def forget_consumer(self, name: str) -> bool:
        """Stop keeping entries for consumer `name` (a retired node); False when unknown."""
        with self.transaction() as conn:
            return bool(conn.execute(delete(P).where(P.c.name == name)).rowcount)

    def consumers(self) -> list[Consumer]:
        """Every consumer with its position, by name."""
        with self.reading() as conn:
            return [Consumer(*row) for row in conn.execute(select(P.c.name, P.c.position, P.c.updated_at).order_by(P.c.name))]

    def prune_changes(self, keep: timedelta) -> int:
        """Delete entries older than `keep` that every consumer has passed; returns how many."""
        with self.transaction() as conn:
            passed = conn.execute(select(func.min(P.c.position))).scalar()
            query = delete(L).where(L.c.created_at < now() - keep)
            if passed is not None:
                query = query.where(L.c.seq <= passed)
            return conn.execute(query).rowcount or 0
