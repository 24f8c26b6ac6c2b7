"""The OAI-PMH provider's items: datestamps and deletions per cluster and set, and the safe responseDate.

Rows are written only by the provider's change-log consumer, in the same
transaction that moves its position, so a harvester never sees datestamps
without the position or the other way round. Lists page by (datestamp,
cluster id) through the index `ix_oai_items_order`, never by offset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, bindparam, func, insert, or_, select, update

from store import schema
from store.core import chunks, now
from store.leases import WRITER

O = schema.oai_items
ALL = ""        # the set_spec of the whole repository's rows


@dataclass
class OaiHeader:
    """One item of a list: a cluster, its datestamp in the list asked for, whether it is deleted there."""

    cluster_id: str
    datestamp: datetime
    deleted: bool
    sets: list[str] = field(default_factory=list)


@dataclass
class OaiState:
    """What the consumer decided for one cluster: alive in `sets` (None: deleted), as of `datestamp`."""

    datestamp: datetime
    sets: set[str] | None


@dataclass(frozen=True)
class OaiWindow:
    """A selective harvest: one set (or the whole repository), datestamps from and until (inclusive)."""

    set_spec: str = ALL
    start: datetime | None = None
    until: datetime | None = None      # exclusive: the caller adds its granularity

    def conditions(self) -> list:
        """The WHERE clauses of the window."""
        out = [O.c.set_spec == self.set_spec]
        if self.start is not None:
            out.append(O.c.datestamp >= self.start)
        if self.until is not None:
            out.append(O.c.datestamp < self.until)
        return out


def _rows_for(cluster_id: str, state: OaiState, old: dict[str, bool], inserts: list, updates: list) -> None:
    """The rows one cluster needs: its sets alive, every other set it was in deleted, a deleted
    whole-repository row for a cluster gone before it was ever published."""
    wanted = {ALL} | state.sets if state.sets is not None else {ALL}
    for spec in sorted(set(old) | wanted):
        deleted = spec not in wanted or state.sets is None
        row = {"s": spec, "c": cluster_id, "d": state.datestamp, "x": deleted}
        if spec not in old:
            inserts.append(row)
        elif not (deleted and old[spec]):      # a set left long ago keeps the datestamp of its leaving
            updates.append(row)


class OaiMixin:
    """The provider's items; see `store.Store`."""

    def oai_apply(self, states: dict[str, OaiState], consumer: str, position: int | None) -> None:
        """Write the clusters' new states and the consumer's position (None: leave it) in one transaction."""
        with self.transaction() as conn:
            old: dict[str, dict[str, bool]] = {}
            for chunk in chunks(sorted(states), 500):
                query = select(O.c.cluster_id, O.c.set_spec, O.c.deleted).where(O.c.cluster_id.in_(chunk))
                for cid, spec, deleted in conn.execute(query):
                    old.setdefault(cid, {})[spec] = deleted
            inserts: list[dict] = []
            updates: list[dict] = []
            for cid in sorted(states):
                _rows_for(cid, states[cid], old.get(cid, {}), inserts, updates)
            if inserts:
                conn.execute(insert(O).values(set_spec=bindparam("s"), cluster_id=bindparam("c"),
                                              datestamp=bindparam("d"), deleted=bindparam("x")), inserts)
            if updates:
                conn.execute(update(O).where(O.c.set_spec == bindparam("s"), O.c.cluster_id == bindparam("c"))
                             .values(datestamp=bindparam("d"), deleted=bindparam("x")), updates)
            if position is None:
                return
            values = {"position": position, "updated_at": now()}
            P = schema.change_consumers
            if conn.execute(update(P).where(P.c.name == consumer).values(**values)).rowcount == 0:
                conn.execute(insert(P).values(name=consumer, **values))

    def oai_headers(self, window: OaiWindow, after: tuple[datetime, str] | None, limit: int) -> list[OaiHeader]:
        """Up to `limit` items of the window after the (datestamp, cluster id) `after`, in that order."""
        query = select(O.c.cluster_id, O.c.datestamp, O.c.deleted).where(*window.conditions())
        if after is not None:
            query = query.where(or_(O.c.datestamp > after[0], and_(O.c.datestamp == after[0], O.c.cluster_id > after[1])))
        query = query.order_by(O.c.datestamp, O.c.cluster_id).limit(limit)
        with self.reading() as conn:
            return [OaiHeader(*row) for row in conn.execute(query)]

    def oai_count(self, window: OaiWindow) -> int:
        """How many items the window holds (completeListSize)."""
        with self.reading() as conn:
            return conn.execute(select(func.count()).select_from(O).where(*window.conditions())).scalar() or 0

    def oai_header(self, cluster_id: str) -> OaiHeader | None:
        """The item of one cluster in the whole repository, or None when it was never published."""
        with self.reading() as conn:
            row = conn.execute(select(O.c.cluster_id, O.c.datestamp, O.c.deleted)
                               .where(O.c.set_spec == ALL, O.c.cluster_id == cluster_id)).first()
        return OaiHeader(*row) if row is not None else None

    def oai_sets_of(self, cluster_ids: list[str]) -> dict[str, list[str]]:
        """cluster id -> the sets it is in now, sorted."""
        out: dict[str, list[str]] = {}
        query = select(O.c.cluster_id, O.c.set_spec).where(O.c.set_spec != ALL, O.c.deleted.is_(False))
        with self.reading() as conn:
            for chunk in chunks(sorted(set(cluster_ids)), 500):
                for cid, spec in conn.execute(query.where(O.c.cluster_id.in_(chunk)).order_by(O.c.set_spec)):
                    out.setdefault(cid, []).append(spec)
        return out

    def oai_set_specs(self) -> list[str]:
        """Every set that holds or held an item, sorted."""
        with self.reading() as conn:
            return list(conn.execute(select(O.c.set_spec).where(O.c.set_spec != ALL).distinct().order_by(O.c.set_spec)).scalars())

    def oai_has_set(self, set_spec: str) -> bool:
        """Whether any item is or was in `set_spec`."""
        with self.reading() as conn:
            return conn.execute(select(O.c.cluster_id).where(O.c.set_spec == set_spec).limit(1)).first() is not None

    def oai_earliest(self) -> datetime | None:
        """The oldest datestamp (earliestDatestamp), or None while nothing is published."""
        with self.reading() as conn:
            return conn.execute(select(func.min(O.c.datestamp)).where(O.c.set_spec == ALL)).scalar()

    def oai_horizon(self, consumer: str, leases: tuple[str, ...] = (WRITER,)) -> datetime:
        """The latest responseDate that is safe to serve: no change can later appear with an earlier datestamp.

        Not later than now, than any change-log entry the consumer has not yet
        published (it will carry that entry's time), nor than the start of any
        holder of the `leases` (a writer whose transaction is still open, or the
        consumer itself, stamps no earlier than it took its lease).
        """
        L = schema.change_log
        with self.reading() as conn:
            position = conn.execute(select(schema.change_consumers.c.position)
                                    .where(schema.change_consumers.c.name == consumer)).scalar()
            pending = select(func.min(L.c.created_at))
            if position is not None:
                pending = pending.where(L.c.seq > position)
            candidates = [now(), conn.execute(pending).scalar()]
            holders = select(schema.leases.c.acquired_at).where(schema.leases.c.name.in_(leases))
            candidates += list(conn.execute(holders).scalars())
        return min(c for c in candidates if c is not None)

    def oai_known_clusters(self, cluster_ids: list[str]) -> set[str]:
        """The clusters among `cluster_ids` that the provider has ever published."""
        query = select(O.c.cluster_id).where(O.c.set_spec == ALL)
        with self.reading() as conn:
            return {cid for chunk in chunks(sorted(set(cluster_ids)), 500)
                    for cid in conn.execute(query.where(O.c.cluster_id.in_(chunk))).scalars()}

    def oai_pending(self, after: int, upto: int, limit: int) -> list[tuple[int, str, datetime]]:
        """(seq, cluster id, created_at) of the change-log entries after `after` up to `upto`, oldest first."""
        L = schema.change_log
        query = (select(L.c.seq, L.c.cluster_id, L.c.created_at).where(L.c.seq > after, L.c.seq <= upto)
                 .order_by(L.c.seq).limit(limit))
        with self.reading() as conn:
            return [tuple(row) for row in conn.execute(query)]
