"""Match keys, clusters, redirects and librarians' dedup decisions."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable, Iterator

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection

from store import schema
from store.changes import log_changes
from store.core import MAX_INDEXED_BYTES, chunks, now, upsert
from store.records import StoredRecord, stored_record

K = schema.match_keys
C = schema.clusters
M = schema.cluster_members
R = schema.cluster_redirects
S = schema.dedup_state


@dataclass
class ClusterPlan:
    """One cluster as dedup decided it: its id and members with their evidence."""

    id: str
    members: dict[int, dict]


def stored_key(value: str) -> str:
    """A match key as the store keeps it: one too long for a PostgreSQL index entry (about 2,700
    bytes) by its digest, which matches exactly what the key itself would."""
    if len(value.encode("utf-8")) <= MAX_INDEXED_BYTES:
        return value
    return "sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest()


@dataclass
class ClusterChange:
    """What one dedup run decided for the clusters it looked at; all others stay as they are.

    `plans` are the clusters of the records looked at, complete; `redirects`
    maps merged-away cluster ids to their heir; `retired` ids lost every
    member; `leaving` are records that left every cluster (deleted);
    `matched` are the records matched again; `refreshed` records had their
    data changed, so their cluster's displayed record did too; `display`
    names more clusters whose displayed record changed (a holdings record's
    parent).
    """

    plans: list[ClusterPlan]
    redirects: dict[str, str] = field(default_factory=dict)
    retired: set[str] = field(default_factory=set)
    leaving: set[int] = field(default_factory=set)
    matched: set[int] = field(default_factory=set)
    refreshed: set[int] = field(default_factory=set)
    display: set[str] = field(default_factory=set)


_LIVE_BIB = (schema.records.c.deleted.is_(False), schema.records.c.local_id.is_not(None), schema.records.c.format != "holdings")


def _facts(conn: Connection, condition) -> dict[int, dict]:
    t = schema.records
    query = select(t.c.id, t.c.source, t.c.local_id, t.c.format, t.c.year).where(condition, *_LIVE_BIB)
    return {r.id: {"source": r.source, "public_id": f"{r.source}:{r.local_id}", "format": r.format, "year": r.year}
            for r in conn.execute(query)}


def _memberships(conn: Connection, ids: list[int]) -> dict[int, tuple[str, str]]:
    """record id -> (cluster id, evidence JSON) as stored, for the given records."""
    out = {}
    for chunk in chunks(sorted(set(ids)), 500):
        query = select(M.c.record_id, M.c.cluster_id, M.c.evidence).where(M.c.record_id.in_(chunk))
        out.update((rid, (cid, ev)) for rid, cid, ev in conn.execute(query))
    return out


def _cluster_rows(conn: Connection, ids: set[str]) -> dict:
    out = {}
    for chunk in chunks(sorted(ids), 500):
        out.update((row.id, row) for row in conn.execute(select(C.c.id, C.c.size, C.c.alive).where(C.c.id.in_(chunk))))
    return out


def _write_memberships(conn: Connection, change: ClusterChange, old: dict[int, tuple[str, str]]) -> set[int]:
    """Delete, insert or update only the memberships that differ; returns the records whose cluster changed."""
    wanted = {rid: (p.id, json.dumps(ev)) for p in change.plans for rid, ev in p.members.items()}
    stale = sorted(rid for rid in old if old[rid] != wanted.get(rid))
    for chunk in chunks(stale, 500):
        conn.execute(delete(M).where(M.c.record_id.in_(chunk)))
    rows = [{"record_id": rid, "cluster_id": cid, "evidence": ev} for rid, (cid, ev) in sorted(wanted.items())
            if old.get(rid) != (cid, ev)]
    for chunk in chunks(rows, 5000):
        conn.execute(insert(M), chunk)
    return {rid for rid, (cid, _ev) in wanted.items() if rid not in old or old[rid][0] != cid} | (set(old) - set(wanted))


def _write_clusters(conn: Connection, change: ClusterChange, existing: dict, old: dict, stamp: datetime) -> None:
    new = [p for p in change.plans if p.id not in existing]
    if new:
        conn.execute(insert(C), [{"id": p.id, "alive": True, "size": len(p.members), "created_at": stamp,
                                  "updated_at": stamp} for p in new])
    for p in change.plans:
        row = existing.get(p.id)
        if row is not None and (not row.alive or row.size != len(p.members) or any(
                old.get(rid, ("",))[0] != p.id for rid in p.members)):
            conn.execute(update(C).where(C.c.id == p.id).values(alive=True, size=len(p.members), updated_at=stamp))


class ClustersMixin:
    """Dedup state; see `store.Store`."""

    def records_to_match(self, after: int = 0, limit: int | None = None) -> list[StoredRecord]:
        """Records added, changed or deleted since the last dedup run, with ids above `after`, in id order
        (up to `limit`: a run matches millions of them a slice at a time)."""
        query = (select(schema.records).where(schema.records.c.needs_match.is_(True), schema.records.c.id > after)
                 .order_by(schema.records.c.id))
        if limit is not None:
            query = query.limit(limit)
        with self.reading() as conn:
            rows = conn.execute(query).all()
        return [stored_record(row) for row in rows]

    def replace_match_keys(self, keys: dict[int, set[tuple[str, str]]]) -> None:
        """Set the match keys of the given records (an empty set removes them)."""
        with self.transaction() as conn:
            for chunk in chunks(list(keys), 500):
                conn.execute(delete(K).where(K.c.record_id.in_(chunk)))
            rows = [{"record_id": rid, "kind": kind, "value": stored_key(value)} for rid, ks in keys.items() for kind, value in ks]
            for chunk in chunks(rows, 5000):
                conn.execute(insert(K), chunk)

    def match_keys_of(self, ids: Iterable[int]) -> dict[int, set[tuple[str, str]]]:
        """The match keys of the given records."""
        out: dict[int, set[tuple[str, str]]] = {}
        with self.reading() as conn:
            for chunk in chunks(sorted(set(ids)), 500):
                for rid, kind, value in conn.execute(select(K.c.record_id, K.c.kind, K.c.value).where(K.c.record_id.in_(chunk))):
                    out.setdefault(rid, set()).add((kind, value))
        return out

    def records_with_keys(self, keys: set[tuple[str, str]]) -> dict[tuple[str, str], list[int]]:
        """Candidate search: for each key, the records that carry it."""
        by_kind: dict[str, dict[str, str]] = {}      # kind -> stored value -> the value asked for
        for kind, value in keys:
            by_kind.setdefault(kind, {})[stored_key(value)] = value
        out: dict[tuple[str, str], list[int]] = {}
        with self.reading() as conn:
            for kind, values in sorted(by_kind.items()):
                # kind and value together, so that the (kind, value) index is used, not a scan per chunk
                for chunk in chunks(sorted(values), 500):
                    query = select(K.c.record_id, K.c.value).where(K.c.kind == kind, K.c.value.in_(chunk))
                    for rid, value in conn.execute(query):
                        out.setdefault((kind, values[value]), []).append(rid)
        return out

    def dedup_state(self, name: str) -> str | None:
        """A value of dedup's own state (`keys_version`, `keys_backfill_after`), None when unset."""
        with self.reading() as conn:
            return conn.execute(select(S.c.value).where(S.c.name == name)).scalar()

    def set_dedup_state(self, name: str, value: str) -> None:
        """Set a value of dedup's own state."""
        with self.transaction() as conn:
            upsert(conn, S, {"name": name, "value": value}, ("name",))

    def matched_records_after(self, after: int, limit: int) -> list[StoredRecord]:
        """Up to `limit` records neither deleted nor waiting to be matched, with ids above `after`, in id order:
        a batch of a pass over every record the last dedup run left matched."""
        t = schema.records
        query = (select(t).where(t.c.id > after, t.c.deleted.is_(False), t.c.needs_match.is_(False))
                 .order_by(t.c.id).limit(limit))
        with self.reading() as conn:
            return [stored_record(row) for row in conn.execute(query)]

    def member_evidence(self, ids: Iterable[int]) -> dict[int, dict]:
        """record id -> the evidence stored with its cluster membership, for the given records."""
        out = {}
        with self.reading() as conn:
            for chunk in chunks(sorted(set(ids)), 500):
                out.update((rid, json.loads(ev)) for rid, ev in
                           conn.execute(select(M.c.record_id, M.c.evidence).where(M.c.record_id.in_(chunk))))
        return out

    def record_facts(self, ids: Iterable[int]) -> dict[int, dict]:
        """Per live bibliographic record among `ids`: source, public id, format and year, for dedup's vetoes."""
        out = {}
        with self.reading() as conn:
            for chunk in chunks(sorted(set(ids)), 500):
                out.update(_facts(conn, schema.records.c.id.in_(chunk)))
        return out

    def live_record_ids(self) -> set[int]:
        """Every live bibliographic record's id (a full dedup run starts from them all)."""
        with self.reading() as conn:
            return set(conn.execute(select(schema.records.c.id).where(*_LIVE_BIB)).scalars())

    def clusters_of(self, ids: Iterable[int]) -> dict[int, str]:
        """record id -> cluster id, as the last run left them, for the given records."""
        out = {}
        with self.reading() as conn:
            for chunk in chunks(sorted(set(ids)), 500):
                out.update(conn.execute(select(M.c.record_id, M.c.cluster_id).where(M.c.record_id.in_(chunk))).all())
        return out

    def members_of(self, cluster_ids: Iterable[str]) -> dict[int, str]:
        """record id -> cluster id for every member of the given clusters."""
        out = {}
        with self.reading() as conn:
            for chunk in chunks(sorted(set(cluster_ids)), 500):
                out.update(conn.execute(select(M.c.record_id, M.c.cluster_id).where(M.c.cluster_id.in_(chunk))).all())
        return out

    def clusters_holding(self, public_ids: Iterable[tuple[str, str]]) -> set[str]:
        """The clusters of the records named (source, local id): the parents of changed holdings records."""
        t = schema.records
        by_source: dict[str, set[str]] = {}
        for source, local in public_ids:
            by_source.setdefault(source, set()).add(local)
        out = set()
        with self.reading() as conn:
            for source, locals_ in sorted(by_source.items()):
                for chunk in chunks(sorted(locals_), 500):
                    query = (select(M.c.cluster_id).join(t, t.c.id == M.c.record_id)
                             .where(t.c.source == source, t.c.local_id.in_(chunk)))
                    out.update(conn.execute(query).scalars())
        return out

    def alive_cluster_ids(self, ids: Iterable[str] | None = None) -> set[str]:
        """The live clusters among `ids` (every live cluster when None)."""
        query = select(C.c.id).where(C.c.alive.is_(True))
        with self.reading() as conn:
            if ids is None:
                return set(conn.execute(query).scalars())
            return {cid for chunk in chunks(sorted(set(ids)), 500) for cid in conn.execute(query.where(C.c.id.in_(chunk))).scalars()}

    def cluster_totals(self) -> tuple[int, int, int]:
        """(live bibliographic records, live clusters, live clusters with several members): counted, not read."""
        with self.reading() as conn:
            records = conn.execute(select(func.count()).select_from(schema.records).where(*_LIVE_BIB)).scalar()
            alive = conn.execute(select(func.count()).select_from(C).where(C.c.alive.is_(True))).scalar()
            several = conn.execute(select(func.count()).select_from(C).where(C.c.alive.is_(True), C.c.size > 1)).scalar()
        return records or 0, alive or 0, several or 0

    def save_clusters(self, change: ClusterChange) -> int:
        """Write what a dedup run decided, in one transaction with its change-log entries.

        Only memberships that differ from the stored ones are written; clusters
        merged away redirect to their heir, emptied ones die. Returns the number
        of change-log entries written.
        """
        with self.transaction() as conn:
            return self.write_clusters(conn, change)

    def write_clusters(self, conn: Connection, change: ClusterChange) -> int:
        """`save_clusters` inside the caller's transaction."""
        stamp = now()
        ids = [rid for p in change.plans for rid in p.members] + sorted(change.leaving)
        old = _memberships(conn, ids)
        touched = {p.id for p in change.plans} | set(change.redirects) | change.retired
        existing = _cluster_rows(conn, touched)
        _write_clusters(conn, change, existing, old, stamp)
        moved = _write_memberships(conn, change, old)
        gone = (set(change.redirects) | change.retired) & set(existing)
        for chunk in chunks(sorted(gone), 500):
            conn.execute(update(C).where(C.c.id.in_(chunk)).values(alive=False, size=0, updated_at=stamp))
        for chunk in chunks([p.id for p in change.plans], 500):
            conn.execute(delete(R).where(R.c.old_id.in_(chunk)))
        for old_id, new_id in change.redirects.items():
            conn.execute(delete(R).where(R.c.old_id == old_id))
            conn.execute(insert(R).values(old_id=old_id, new_id=new_id, created_at=stamp))
        for chunk in chunks(sorted(change.matched), 500):
            conn.execute(update(schema.records).where(schema.records.c.id.in_(chunk)).values(needs_match=False))
        shown = {p.id for p in change.plans if moved & set(p.members) or change.refreshed & set(p.members)}
        left = {old[rid][0] for rid in moved if rid in old}     # a cluster that lost a member changed too
        shown |= (left & {p.id for p in change.plans}) | (change.display - gone)
        return log_changes(conn, shown, change.redirects, change.retired - set(change.redirects))

    def cluster_ids(self, *, changed_since: datetime | None = None, alive: bool = True) -> list[str]:
        """Cluster ids, optionally only those changed since a time."""
        query = select(C.c.id).where(C.c.alive.is_(alive)).order_by(C.c.id)
        if changed_since is not None:
            query = query.where(C.c.updated_at > changed_since)
        with self.reading() as conn:
            return list(conn.execute(query).scalars())

    def newest_clusters(self, limit: int) -> list[str]:
        """The ids of the live clusters created last, newest first (the start page's recent additions)."""
        query = select(C.c.id).where(C.c.alive.is_(True)).order_by(C.c.created_at.desc(), C.c.id.desc()).limit(limit)
        with self.reading() as conn:
            return list(conn.execute(query).scalars())

    def resolve_cluster(self, any_id: str) -> str | None:
        """The live cluster for a cluster id, a merged-away id or a member's `source:local_id`."""
        with self.reading() as conn:
            for _ in range(20):  # redirect chains are short; the bound guards against a cycle
                row = conn.execute(select(C.c.id, C.c.alive).where(C.c.id == any_id)).first()
                if row is not None and row.alive:
                    return row.id
                target = conn.execute(select(R.c.new_id).where(R.c.old_id == any_id)).scalar()
                if target is None:
                    break
                any_id = target
        record = self.record_by_public_id(any_id) if ":" in any_id else None
        if record is None or record.deleted:
            return None
        with self.reading() as conn:
            return conn.execute(select(M.c.cluster_id).where(M.c.record_id == record.id)).scalar()

    def cluster_members(self, cluster_id: str) -> list[tuple[StoredRecord, dict]]:
        """The live records of a cluster with their evidence, in record id order."""
        t = schema.records
        query = select(t, M.c.evidence).join(M, M.c.record_id == t.c.id).where(M.c.cluster_id == cluster_id).order_by(t.c.id)
        with self.reading() as conn:
            return [(stored_record(row), json.loads(row.evidence)) for row in conn.execute(query)]

    def export_clusters(self) -> Iterator[tuple[str, list[tuple[str, str]]]]:
        """(cluster id, [(source, local id), ...]) for every live cluster."""
        t = schema.records
        query = (select(M.c.cluster_id, t.c.source, t.c.local_id).join(t, t.c.id == M.c.record_id)
                 .order_by(M.c.cluster_id, t.c.source, t.c.local_id))
        current, members = None, []
        with self.reading() as conn:
            for cluster_id, source, local in conn.execute(query):
                if cluster_id != current and current is not None:
                    yield current, members
                    members = []
                current = cluster_id
                members.append((source, local))
        if current is not None:
            yield current, members

    def member_public_ids(self, cluster_id: str) -> list[str]:
        """`source:local_id` of every live member of a cluster."""
        t = schema.records
        query = (select(t.c.source, t.c.local_id).join(M, M.c.record_id == t.c.id)
                 .where(M.c.cluster_id == cluster_id).order_by(t.c.source, t.c.local_id))
        with self.reading() as conn:
            return [f"{source}:{local}" for source, local in conn.execute(query)]
