"""Review queues that dedup runs fill: near misses (pairs that came close) and suspicious clusters.

A run stores only what it looked at: the near misses among the records it
matched again replace their earlier ones (keeping each pair's review state),
and the clusters it wrote are checked again for disagreeing members.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from sqlalchemy import bindparam, delete, insert, or_, select, update

from store import schema
from store.core import chunks, now

N = schema.near_misses
S = schema.suspicious_clusters
REVIEW_STATES = ("open", "merged", "dismissed")


@dataclass
class NearMissPair:
    """A pair a run compared and did not merge although it came close (record ids, lower first)."""

    record_a: int
    record_b: int
    kind: str            # close-title (no veto, titles agree closely) | one-veto (one veto kept them apart)
    score: float
    evidence: dict


@dataclass
class NearMiss:
    """A stored near miss with public ids and its review state."""

    id: int
    record_a: str
    record_b: str
    kind: str
    score: float
    evidence: dict
    found_at: datetime
    state: str
    reviewed_by: str | None
    reviewed_at: datetime | None


@dataclass
class SuspiciousCluster:
    """A cluster whose members disagree, with the reasons (as `dedup.preview.Broken` rules and details)."""

    cluster_id: str
    reasons: list[dict]
    found_at: datetime


def _public(conn, ids: set[int]) -> dict[int, str]:
    t = schema.records
    out = {}
    for chunk in chunks(sorted(ids), 500):
        out.update((r.id, f"{r.source}:{r.local_id}") for r in conn.execute(
            select(t.c.id, t.c.source, t.c.local_id).where(t.c.id.in_(chunk))))
    return out


def _existing_pairs(conn, pairs: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Which of `pairs` (record_a, record_b) have a near-miss row."""
    found = set()
    for chunk in chunks(sorted({a for a, _b in pairs}), 500):
        found.update((r.record_a, r.record_b) for r in conn.execute(
            select(N.c.record_a, N.c.record_b).where(N.c.record_a.in_(chunk))))
    return found & pairs


class ReviewMixin:
    """Near misses and suspicious clusters; see `store.Store`."""

    def save_near_misses(self, matched: Iterable[int], pairs: list[NearMissPair]) -> None:
        """Replace the open near misses involving the records a run matched again with `pairs`; a pair already
        reviewed keeps its state."""
        matched = sorted(set(matched))
        stamp = now()
        rows = [{"a": p.record_a, "b": p.record_b, "kind": p.kind, "score": p.score,
                 "evidence": json.dumps(p.evidence), "found_at": stamp} for p in pairs]
        with self.transaction() as conn:
            for chunk in chunks(matched, 500):
                conn.execute(delete(N).where(N.c.state == "open", or_(N.c.record_a.in_(chunk), N.c.record_b.in_(chunk))))
            # what is left of these pairs was reviewed: updated in place, keeping its state; the rest is new.
            # One statement per kind of write, sent with many rows (tens of thousands of pairs on a first load)
            reviewed = _existing_pairs(conn, {(p.record_a, p.record_b) for p in pairs})
            kept = [row for row in rows if (row["a"], row["b"]) in reviewed]
            new = [{"record_a": row["a"], "record_b": row["b"], **{k: row[k] for k in ("kind", "score", "evidence",
                                                                                        "found_at")}}
                   for row in rows if (row["a"], row["b"]) not in reviewed]
            for chunk in chunks(kept, 500):
                conn.execute(update(N).where(N.c.record_a == bindparam("a"), N.c.record_b == bindparam("b")).values(
                    kind=bindparam("kind"), score=bindparam("score"), evidence=bindparam("evidence"),
                    found_at=bindparam("found_at")), chunk)
            for chunk in chunks(new, 500):
                conn.execute(insert(N), chunk)

    def near_misses(self, state: str = "open", *, limit: int = 50, offset: int = 0) -> list[NearMiss]:
        """Near misses in one review state, highest score first."""
        query = select(N).where(N.c.state == state).order_by(N.c.score.desc(), N.c.id).limit(limit).offset(offset)
        with self.reading() as conn:
            rows = conn.execute(query).all()
            public = _public(conn, {r.record_a for r in rows} | {r.record_b for r in rows})
        return [NearMiss(r.id, public.get(r.record_a, "?"), public.get(r.record_b, "?"), r.kind, r.score,
                         json.loads(r.evidence), r.found_at, r.state, r.reviewed_by, r.reviewed_at) for r in rows]

    def review_near_miss(self, near_miss_id: int, state: str, reviewed_by: str) -> bool:
        """Set a near miss's review state (`REVIEW_STATES`); False when there is no such near miss."""
        if state not in REVIEW_STATES:
            raise ValueError(f"unknown review state {state!r}")
        with self.transaction() as conn:
            return bool(conn.execute(update(N).where(N.c.id == near_miss_id).values(
                state=state, reviewed_by=reviewed_by, reviewed_at=now())).rowcount)

    def save_suspicious(self, checked: Iterable[str], found: dict[str, list[dict]]) -> None:
        """Replace what is known about the clusters in `checked` with `found` (cluster id -> reasons)."""
        stamp = now()
        with self.transaction() as conn:
            for chunk in chunks(sorted(set(checked) | set(found)), 500):
                conn.execute(delete(S).where(S.c.cluster_id.in_(chunk)))
            rows = [{"cluster_id": cid, "reasons": json.dumps(reasons), "found_at": stamp}
                    for cid, reasons in sorted(found.items())]
            for chunk in chunks(rows, 500):
                conn.execute(insert(S), chunk)

    def suspicious_clusters(self, *, limit: int = 50, offset: int = 0) -> list[SuspiciousCluster]:
        """Live suspicious clusters, most recently found first."""
        C = schema.clusters
        query = (select(S).join(C, C.c.id == S.c.cluster_id).where(C.c.alive.is_(True))
                 .order_by(S.c.found_at.desc(), S.c.cluster_id).limit(limit).offset(offset))
        with self.reading() as conn:
            return [SuspiciousCluster(r.cluster_id, json.loads(r.reasons), r.found_at) for r in conn.execute(query)]
