"""Requests between members and their history; the rules that move them are `ill`'s, the rows are kept here.

Every move is one conditional UPDATE (the state must still be one the move
starts from), so two librarians answering at once, or a librarian and the
timer, cannot both move the same request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, func, insert, select, update

from store import schema
from store.core import now

R, E = schema.ill_requests, schema.ill_events
OPEN_STATES = ("requested", "accepted", "shipped", "received")
ENDED_STATES = ("returned", "cancelled", "declined")


@dataclass(frozen=True)
class IllRequest:
    """A patron's request for an edition, as stored."""

    id: int
    cluster_id: str
    title: str
    patron_member: str
    patron_card: str
    patron_email: str | None
    language: str
    pickup: str
    state: str
    lender: str | None
    candidates: tuple[str, ...]
    tried: tuple[str, ...]
    answer_by: datetime | None
    peer_ref: str | None
    created_at: datetime
    updated_at: datetime
    ended_at: datetime | None

    @property
    def open(self) -> bool:
        """Whether the request has not ended."""
        return self.state in OPEN_STATES


@dataclass(frozen=True)
class IllEvent:
    """One step in a request's history."""

    at: datetime
    state: str
    member: str | None
    actor: str | None
    note: str | None


def _request(row) -> IllRequest:
    values = dict(row._mapping)
    values["candidates"] = tuple(json.loads(values["candidates"]))
    values["tried"] = tuple(json.loads(values["tried"]))
    return IllRequest(**values)


class IllMixin:
    """Requests between members; see `store.Store`."""

    def create_ill_request(self, *, cluster_id: str, title: str, patron: tuple[str, str], email: str | None,
                           language: str, pickup: str, lender: str, candidates: list[str],
                           answer_by: datetime | None, actor: str = "patron") -> int:
        """A new request asked of `lender`, with the lenders to try after it; returns its id."""
        at = now()
        with self.transaction() as conn:
            request_id = conn.execute(insert(R).values(
                cluster_id=cluster_id, title=title[:500], patron_member=patron[0], patron_card=patron[1][:64],
                patron_email=email or None, language=language, pickup=pickup, state="requested", lender=lender,
                candidates=json.dumps(candidates), tried="[]", answer_by=answer_by, created_at=at,
                updated_at=at).returning(R.c.id)).scalar_one()
            conn.execute(insert(E).values(request_id=request_id, at=at, state="requested", member=lender,
                                          actor=actor))
        return request_id

    def ill_request(self, request_id: int) -> IllRequest | None:
        """The request, or None."""
        with self.reading() as conn:
            row = conn.execute(select(R).where(R.c.id == request_id)).first()
        return _request(row) if row is not None else None

    def ill_requests_of(self, patron: tuple[str, str]) -> list[IllRequest]:
        """A patron's requests, newest first."""
        with self.reading() as conn:
            rows = conn.execute(select(R).where(R.c.patron_member == patron[0], R.c.patron_card == patron[1])
                                .order_by(R.c.id.desc())).all()
        return [_request(row) for row in rows]

    def ill_queue(self, member: str | None) -> list[IllRequest]:
        """Open requests a member's staff must work: those it lends, and those on their way to its
        libraries (None: every member's), oldest first."""
        condition = R.c.state.in_(OPEN_STATES)
        if member is not None:
            condition = and_(condition, (R.c.lender == member) | and_(R.c.patron_member == member,
                                                                       R.c.state.in_(("shipped", "received"))))
        with self.reading() as conn:
            return [_request(row) for row in conn.execute(select(R).where(condition).order_by(R.c.id)).all()]

    def open_ill_count(self, patron: tuple[str, str]) -> int:
        """How many of a patron's requests have not ended."""
        with self.reading() as conn:
            return conn.execute(select(func.count()).select_from(R).where(
                R.c.patron_member == patron[0], R.c.patron_card == patron[1], R.c.state.in_(OPEN_STATES))).scalar()

    def move_ill_request(self, request_id: int, from_states: tuple[str, ...], *, state: str, actor: str,
                         note: str | None = None, passed_over: str | None = None, **changes) -> bool:
        """Move a request still in one of `from_states` to `state` (with other column `changes`), and log
        the step; False when it was not in such a state (someone else moved it first). With `passed_over`
        (a lender that declined or did not answer) that lender's "declined" is logged first."""
        at = now()
        values = {"state": state, "updated_at": at, **changes}
        if state in ENDED_STATES:
            values["ended_at"] = at
        for key in ("candidates", "tried"):
            if key in values:
                values[key] = json.dumps(list(values[key]))
        with self.transaction() as conn:
            moved = conn.execute(update(R).where(R.c.id == request_id, R.c.state.in_(from_states))
                                 .values(**values)).rowcount
            if moved and passed_over is not None:
                conn.execute(insert(E).values(request_id=request_id, at=at, state="declined", member=passed_over,
                                              actor=actor, note=note))
                note = None
            if moved:
                lender = conn.execute(select(R.c.lender).where(R.c.id == request_id)).scalar()
                conn.execute(insert(E).values(request_id=request_id, at=at, state=state, member=lender,
                                              actor=actor, note=note))
        return bool(moved)

    def set_ill_peer_ref(self, request_id: int, peer_ref: str) -> None:
        """Remember the lender's own id of the request."""
        with self.transaction() as conn:
            conn.execute(update(R).where(R.c.id == request_id).values(peer_ref=peer_ref))

    def ill_events(self, request_id: int) -> list[IllEvent]:
        """A request's history, oldest first."""
        with self.reading() as conn:
            rows = conn.execute(select(E.c.at, E.c.state, E.c.member, E.c.actor, E.c.note)
                                .where(E.c.request_id == request_id).order_by(E.c.id)).all()
        return [IllEvent(*row) for row in rows]

    def overdue_ill_requests(self, at: datetime) -> list[IllRequest]:
        """Requests whose lender has not answered by its time limit."""
        with self.reading() as conn:
            rows = conn.execute(select(R).where(R.c.state == "requested", R.c.answer_by.is_not(None),
                                                R.c.answer_by <= at).order_by(R.c.id)).all()
        return [_request(row) for row in rows]

    def purge_ill_requests(self, ended_before: datetime) -> int:
        """Delete requests (and their history) that ended before `ended_before`; returns how many."""
        with self.transaction() as conn:
            ids = list(conn.execute(select(R.c.id).where(R.c.ended_at.is_not(None),
                                                         R.c.ended_at < ended_before)).scalars())
            return self._delete_ill(conn, ids)

    def delete_patron_ill_data(self, patron: tuple[str, str]) -> int:
        """Delete a patron's ended requests (open ones are kept until they end); returns how many."""
        with self.transaction() as conn:
            ids = list(conn.execute(select(R.c.id).where(R.c.patron_member == patron[0],
                                                         R.c.patron_card == patron[1],
                                                         R.c.state.in_(ENDED_STATES))).scalars())
            return self._delete_ill(conn, ids)

    @staticmethod
    def _delete_ill(conn, ids: list[int]) -> int:
        # events first: SQLite enforces the cascade only with foreign keys on, which a copied file may lack
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            conn.execute(delete(E).where(E.c.request_id.in_(chunk)))
            conn.execute(delete(R).where(R.c.id.in_(chunk)))
        return len(ids)
