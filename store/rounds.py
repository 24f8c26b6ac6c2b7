"""Harvest rounds: which sources several harvest workers still have to do before dedup and index.

A round is open from its first worker until the process that runs dedup and
index closes it. Each source of the round is `todo` until a worker holding
its harvest lease marks it `done` or `failed`; a round closed at a deadline
marks what was left `missed`. Workers that start while a round is open join
it, so an interrupted round is finished before a new one starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update

from store import schema
from store.core import now

H = schema.harvest_rounds
S = schema.round_sources
ROUND_LEASE = "harvest-round"     # held for the moment it takes to find or open a round
CLOSING_LEASE = "harvest-round-close"   # held by the one worker that runs a round's dedup and index


@dataclass
class Round:
    """An open or finished harvest round and the state of each of its sources."""

    id: int
    started_at: datetime
    finished_at: datetime | None
    sources: dict[str, str]

    def todo(self) -> list[str]:
        """Sources no worker has finished yet, by code."""
        return [code for code, state in self.sources.items() if state == "todo"]


class RoundsMixin:
    """Harvest rounds; see `store.Store`."""

    def join_round(self, sources: list[str], worker: str) -> Round:
        """The open round (with any source it lacks added), or a new one over `sources`.

        The short `harvest-round` lease keeps two workers from opening two rounds at once.
        """
        with self.lease(ROUND_LEASE, worker, expiry=30, wait=30):
            with self.transaction() as conn:
                round_id = conn.execute(select(H.c.id).where(H.c.finished_at.is_(None)).order_by(H.c.id.desc())).scalar()
                if round_id is None:
                    round_id = conn.execute(insert(H).values(started_at=now())).inserted_primary_key[0]
                known = set(conn.execute(select(S.c.source).where(S.c.round_id == round_id)).scalars())
                missing = [code for code in sources if code not in known]
                if missing:
                    conn.execute(insert(S), [{"round_id": round_id, "source": code, "state": "todo"} for code in missing])
        return self.harvest_round(round_id)

    def harvest_round(self, round_id: int) -> Round:
        """A round as it stands now."""
        with self.reading() as conn:
            row = conn.execute(select(H).where(H.c.id == round_id)).one()
            states = conn.execute(select(S.c.source, S.c.state).where(S.c.round_id == round_id).order_by(S.c.source)).all()
        return Round(row.id, row.started_at, row.finished_at, dict(states))

    def finish_round_source(self, round_id: int, source: str, state: str, worker: str) -> None:
        """Mark one source of a round `done` or `failed` (by the worker holding its harvest lease)."""
        with self.transaction() as conn:
            conn.execute(update(S).where(S.c.round_id == round_id, S.c.source == source)
                         .values(state=state, worker=worker, finished_at=now()))

    def close_round(self, round_id: int, outcome: str) -> list[str]:
        """Close a round after its dedup and index; sources still to do become `missed` (returned)."""
        with self.transaction() as conn:
            missed = list(conn.execute(select(S.c.source).where(S.c.round_id == round_id, S.c.state == "todo")
                                       .order_by(S.c.source)).scalars())
            conn.execute(update(S).where(S.c.round_id == round_id, S.c.state == "todo").values(state="missed"))
            conn.execute(update(H).where(H.c.id == round_id).values(finished_at=now(), outcome=outcome))
        return missed
