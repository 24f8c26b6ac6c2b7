"""Librarians' decisions (merge, split, undo, identifier marks), their two sides, and identifier marks.

A decision names two sides of records (public ids); dedup keeps every pair
across them together (merge) or apart (split), the latest decision per pair
winning. Only applied decisions that were not undone count. Queued decisions
wait for the writer lease; refused ones keep the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from store import schema
from store.core import chunks, now

D = schema.dedup_decisions
DR = schema.decision_records
IM = schema.identifier_marks
PAIR_KINDS = ("merge", "split")


@dataclass
class Decision:
    """A decision as stored: kind, its two sides, who, when, why, and what became of it."""

    id: int
    kind: str                       # merge | split | undo | mark | unmark
    record_a: str                   # the first record of side a (the one named, for one-pair decisions)
    record_b: str | None
    made_by: str
    made_at: datetime
    note: str
    side_a: list[str] = field(default_factory=list)
    side_b: list[str] = field(default_factory=list)
    override: bool = False
    status: str = "applied"         # applied | queued | refused
    preview: str | None = None      # the Preview as JSON
    state: str | None = None
    applied_at: datetime | None = None
    outcome: str | None = None
    undoes: int | None = None
    undone_by: str | None = None
    undone_at: datetime | None = None


@dataclass
class NewDecision:
    """A decision to store (see `DecisionsMixin.add_correction`)."""

    kind: str
    side_a: list[str]
    side_b: list[str]
    made_by: str
    note: str = ""
    override: bool = False
    status: str = "applied"
    preview: str | None = None
    state: str | None = None
    undoes: int | None = None


def insert_decision(conn: Connection, new: NewDecision) -> int:
    """Store `new` with its sides (the caller writes the clusters it leads to, or has them matched again)."""
    stamp = now()
    first = new.side_a[0] if new.side_a else ""
    second = new.side_b[0] if new.side_b else None
    decision_id = conn.execute(insert(D).values(
        kind=new.kind, record_a=first, record_b=second, made_by=new.made_by, made_at=stamp, note=new.note,
        override=new.override, status=new.status, preview=new.preview, state=new.state, undoes=new.undoes,
        applied_at=stamp if new.status == "applied" else None)).inserted_primary_key[0]
    sides = {record: "b" for record in new.side_b} | {record: "a" for record in new.side_a}
    if sides:
        conn.execute(insert(DR), [{"decision_id": decision_id, "record": r, "side": s} for r, s in sorted(sides.items())])
    return decision_id


def rematch(conn: Connection, public_ids: Iterable[str]) -> None:
    """Have the next dedup run match these records (`source:001`) again, and with them their clusters."""
    by_source: dict[str, list[str]] = {}
    for public_id in public_ids:
        source, _, local = public_id.partition(":")
        by_source.setdefault(source, []).append(local)
    t = schema.records
    for source, locals_ in sorted(by_source.items()):
        for chunk in chunks(sorted(set(locals_)), 500):
            conn.execute(update(t).where(t.c.source == source, t.c.local_id.in_(chunk)).values(needs_match=True))


def _decisions(conn: Connection, rows) -> list[Decision]:
    rows = list(rows)
    sides: dict[int, dict[str, list[str]]] = {r.id: {"a": [], "b": []} for r in rows}
    for chunk in chunks(sorted(sides), 500):
        for decision_id, record, side in conn.execute(select(DR.c.decision_id, DR.c.record, DR.c.side)
                                                      .where(DR.c.decision_id.in_(chunk)).order_by(DR.c.record)):
            sides[decision_id][side].append(record)
    return [Decision(r.id, r.kind, r.record_a, r.record_b, r.made_by, r.made_at, r.note, sides[r.id]["a"],
                     sides[r.id]["b"], bool(r.override), r.status, r.preview, r.state, r.applied_at, r.outcome,
                     r.undoes, r.undone_by, r.undone_at) for r in rows]


class DecisionsMixin:
    """Decisions and identifier marks; see `store.Store`."""

    def add_decision(self, kind: str, record_a: str, record_b: str | None, made_by: str, note: str = "") -> int:
        """Store a one-pair split or merge, applied at the next dedup run."""
        with self.transaction() as conn:
            decision_id = insert_decision(conn, NewDecision(kind, [record_a], [record_b] if record_b else [], made_by, note))
            rematch(conn, filter(None, (record_a, record_b)))
            return decision_id

    def add_correction(self, new: NewDecision, change=None) -> int:
        """Store a decision and, in the same transaction, the clusters it leads to (a `ClusterChange`)."""
        with self.transaction() as conn:
            decision_id = insert_decision(conn, new)
            if change is not None:
                self.write_clusters(conn, change)
            return decision_id

    def decisions(self, about: Iterable[str] | None = None, *, counting: bool = False) -> list[Decision]:
        """Stored decisions, oldest first: every one, or those naming a record among the public ids `about`;
        with `counting` only applied merges and splits not undone (what dedup honours)."""
        query = select(D).order_by(D.c.id)
        if counting:
            query = query.where(D.c.kind.in_(PAIR_KINDS), D.c.status == "applied", D.c.undone_at.is_(None))
        with self.reading() as conn:
            if about is None:
                return _decisions(conn, conn.execute(query))
            ids: set[int] = set()
            for chunk in chunks(sorted(set(about)), 250):
                ids.update(conn.execute(select(DR.c.decision_id).where(DR.c.record.in_(chunk))).scalars())
            found = {}
            for chunk in chunks(sorted(ids), 500):
                found.update((r.id, r) for r in conn.execute(query.where(D.c.id.in_(chunk))))
            return _decisions(conn, [found[key] for key in sorted(found)])

    def decision(self, decision_id: int) -> Decision | None:
        """One decision, or None."""
        with self.reading() as conn:
            found = _decisions(conn, conn.execute(select(D).where(D.c.id == decision_id)))
        return found[0] if found else None

    def decisions_by(self, made_by: str | None = None, *, status: str | None = None,
                     limit: int | None = None) -> list[Decision]:
        """Decisions newest first, optionally one librarian's or in one status."""
        query = select(D).order_by(D.c.id.desc())
        if made_by is not None:
            query = query.where(D.c.made_by == made_by)
        if status is not None:
            query = query.where(D.c.status == status)
        if limit is not None:
            query = query.limit(limit)
        with self.reading() as conn:
            return _decisions(conn, conn.execute(query))

    def queued_decisions(self) -> list[Decision]:
        """Corrections waiting for the writer lease, oldest first."""
        return list(reversed(self.decisions_by(status="queued")))

    def settle_queued(self, decision_id: int, status: str, outcome: str, change=None, side_a: list[str] | None = None,
                      side_b: list[str] | None = None, preview: str | None = None, state: str | None = None) -> bool:
        """Turn a queued decision applied (with the clusters it leads to and the sides and preview it was
        applied on) or refused, in one transaction; False when it was no longer queued (another process
        settled it)."""
        with self.transaction() as conn:
            settled = conn.execute(update(D).where(D.c.id == decision_id, D.c.status == "queued").values(
                status=status, outcome=outcome, applied_at=now() if status == "applied" else None)).rowcount
            if not settled or status != "applied":
                return bool(settled)
            if preview is not None:
                conn.execute(update(D).where(D.c.id == decision_id).values(preview=preview, state=state))
            if side_a is not None:
                conn.execute(delete(DR).where(DR.c.decision_id == decision_id))
                sides = {r: "b" for r in side_b or []} | {r: "a" for r in side_a}
                conn.execute(insert(DR), [{"decision_id": decision_id, "record": r, "side": s} for r, s in sorted(sides.items())])
            undoes = conn.execute(select(D.c.undoes, D.c.made_by).where(D.c.id == decision_id)).first()
            if undoes.undoes is not None:
                conn.execute(update(D).where(D.c.id == undoes.undoes).values(undone_by=undoes.made_by, undone_at=now()))
            if change is not None:
                self.write_clusters(conn, change)
            return True

    def add_undo(self, new: NewDecision, change=None) -> int:
        """Store an undo (`new.undoes` names the decision) and mark that decision undone, with the clusters
        the undo leads to, in one transaction."""
        with self.transaction() as conn:
            decision_id = insert_decision(conn, new)
            conn.execute(update(D).where(D.c.id == new.undoes).values(undone_by=new.made_by, undone_at=now()))
            if change is not None:
                self.write_clusters(conn, change)
            return decision_id

    def identifier_marks(self) -> set[tuple[str, str]]:
        """(scheme, value) of every identifier marked as not identifying."""
        with self.reading() as conn:
            return {(scheme, value) for scheme, value in conn.execute(select(IM.c.scheme, IM.c.value))}

    def set_identifier_mark(self, scheme: str, value: str, new: NewDecision, marked: bool) -> int:
        """Mark or unmark an identifier with its decision, and have the records carrying it matched again."""
        with self.transaction() as conn:
            decision_id = insert_decision(conn, new)
            conn.execute(delete(IM).where(IM.c.scheme == scheme, IM.c.value == value))
            if marked:
                conn.execute(insert(IM).values(scheme=scheme, value=value, decision_id=decision_id))
            holders = select(schema.match_keys.c.record_id).where(schema.match_keys.c.kind == scheme,
                                                                  schema.match_keys.c.value == value)
            conn.execute(update(schema.records).where(schema.records.c.id.in_(holders)).values(needs_match=True))
            return decision_id
