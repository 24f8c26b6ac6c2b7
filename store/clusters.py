"""Match keys, clusters, redirects and librarians' dedup decisions."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Iterator

from sqlalchemy import delete, insert, select, update

from store import schema
from store.core import MAX_INDEXED_BYTES, chunks, now
from store.records import StoredRecord, _stored

K = schema.match_keys
C = schema.clusters
M = schema.cluster_members
R = schema.cluster_redirects
D = schema.dedup_decisions


@dataclass
class ClusterPlan:
    """One cluster as dedup decided it: its id and members with their evidence."""

    id: str
    members: dict[int, dict]


@dataclass
class Decision:
    """A librarian's split or merge, honoured by every later run."""

    id: int
    kind: str
    record_a: str
    record_b: str | None
    made_by: str
    made_at: datetime
    note: str


def stored_key(value: str) -> str:
    """A match key as the store keeps it: one too long for a PostgreSQL index entry (about 2,700
    bytes) by its digest, which matches exactly what the key itself would."""
    if len(value.encode("utf-8")) <= MAX_INDEXED_BYTES:
        return value
    return "sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest()


def _changed(plan: ClusterPlan, existing, old_members: dict[int, str]) -> bool:
    """True when a cluster's membership differs from what the store held."""
    return not existing.alive or existing.size != len(plan.members) or any(
        old_members.get(rid) != plan.id for rid in plan.members)


class ClustersMixin:
    """Dedup state; see `store.Store`."""

    def records_to_match(self) -> list[StoredRecord]:
        """Records added, changed or deleted since the last dedup run."""
        with self.reading() as conn:
            rows = conn.execute(select(schema.records).where(schema.records.c.needs_match.is_(True))).all()
        return [_stored(row) for row in rows]

    def replace_match_keys(self, keys: dict[int, set[tuple[str, str]]]) -> None:
        """Set the match keys of the given records (an empty set removes them)."""
        with self.transaction() as conn:
            for chunk in chunks(list(keys), 500):
                conn.execute(delete(K).where(K.c.record_id.in_(chunk)))
            rows = [{"record_id": rid, "kind": kind, "value": stored_key(value)} for rid, ks in keys.items() for kind, value in ks]
            for chunk in chunks(rows, 5000):
                conn.execute(insert(K), chunk)

    def all_match_keys(self) -> dict[int, set[tuple[str, str]]]:
        """Every live record's match keys."""
        out: dict[int, set[tuple[str, str]]] = {}
        query = select(K.c.record_id, K.c.kind, K.c.value)
        with self.reading() as conn:
            for rid, kind, value in conn.execute(query):
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

    def member_evidence(self) -> dict[int, dict]:
        """record id -> the evidence stored with its cluster membership."""
        with self.reading() as conn:
            return {rid: json.loads(ev) for rid, ev in conn.execute(select(M.c.record_id, M.c.evidence))}

    def live_record_facts(self) -> dict[int, dict]:
        """Per live record: source, public id, format and year, for dedup's vetoes."""
        t = schema.records
        query = select(t.c.id, t.c.source, t.c.local_id, t.c.format, t.c.year).where(
            t.c.deleted.is_(False), t.c.local_id.is_not(None), t.c.format != "holdings")
        with self.reading() as conn:
            return {r.id: {"source": r.source, "public_id": f"{r.source}:{r.local_id}", "format": r.format, "year": r.year}
                    for r in conn.execute(query)}

    def cluster_assignments(self) -> dict[int, str]:
        """record id -> cluster id, as the last run left them."""
        with self.reading() as conn:
            return dict(conn.execute(select(M.c.record_id, M.c.cluster_id)).all())

    def save_clusters(self, plans: list[ClusterPlan], redirects: dict[str, str], retired: set[str], matched: Iterable[int]) -> None:
        """Replace the clustering with `plans` in one transaction.

        `redirects` maps merged-away cluster ids to the cluster that absorbed
        them; `retired` ids had every member deleted and leave the index.
        """
        stamp = now()
        with self.transaction() as conn:
            existing = {row.id: row for row in conn.execute(select(C.c.id, C.c.size, C.c.alive))}
            old_members = dict(conn.execute(select(M.c.record_id, M.c.cluster_id)).all())
            conn.execute(delete(M))
            new = [p for p in plans if p.id not in existing]
            changed = [p for p in plans if p.id in existing and _changed(p, existing[p.id], old_members)]
            if new:
                conn.execute(insert(C), [{"id": p.id, "alive": True, "size": len(p.members), "created_at": stamp,
                                          "updated_at": stamp} for p in new])
            for p in changed:
                conn.execute(update(C).where(C.c.id == p.id).values(alive=True, size=len(p.members), updated_at=stamp))
            for chunk in chunks([p.id for p in plans], 500):
                conn.execute(delete(R).where(R.c.old_id.in_(chunk)))
            rows = [{"record_id": rid, "cluster_id": p.id, "evidence": json.dumps(ev)} for p in plans for rid, ev in p.members.items()]
            for chunk in chunks(rows, 5000):
                conn.execute(insert(M), chunk)
            gone = (set(redirects) | retired) & set(existing)
            for chunk in chunks(sorted(gone), 500):
                conn.execute(update(C).where(C.c.id.in_(chunk)).values(alive=False, size=0, updated_at=stamp))
            for old, new_id in redirects.items():
                conn.execute(delete(R).where(R.c.old_id == old))
                conn.execute(insert(R).values(old_id=old, new_id=new_id, created_at=stamp))
            for chunk in chunks(list(matched), 500):
                conn.execute(update(schema.records).where(schema.records.c.id.in_(chunk)).values(needs_match=False))

    def touch_clusters(self, ids: Iterable[str]) -> None:
        """Mark clusters changed (a member's data changed) so the index refreshes them."""
        with self.transaction() as conn:
            for chunk in chunks(sorted(set(ids)), 500):
                conn.execute(update(C).where(C.c.id.in_(chunk)).values(updated_at=now()))

    def cluster_ids(self, *, changed_since: datetime | None = None, alive: bool = True) -> list[str]:
        """Cluster ids, optionally only those changed since a time."""
        query = select(C.c.id).where(C.c.alive.is_(alive)).order_by(C.c.id)
        if changed_since is not None:
            query = query.where(C.c.updated_at > changed_since)
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
            return [(_stored(row), json.loads(row.evidence)) for row in conn.execute(query)]

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

    def add_decision(self, kind: str, record_a: str, record_b: str | None, made_by: str, note: str = "") -> int:
        """Store a librarian's split or merge."""
        with self.transaction() as conn:
            result = conn.execute(insert(D).values(kind=kind, record_a=record_a, record_b=record_b,
                                                   made_by=made_by, made_at=now(), note=note))
            return result.inserted_primary_key[0]

    def decisions(self) -> list[Decision]:
        """Every stored decision, oldest first."""
        with self.reading() as conn:
            return [Decision(r.id, r.kind, r.record_a, r.record_b, r.made_by, r.made_at, r.note)
                    for r in conn.execute(select(D).order_by(D.c.id))]
