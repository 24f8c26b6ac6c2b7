"""Harvest state: checkpoints, per-source outcomes, quarantine and run reports."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection

from store import schema
from store.core import now, upsert


@dataclass
class Checkpoint:
    """Where an interrupted OAI-PMH list can be resumed."""

    source: str
    window_from: str | None
    window_until: str | None
    token: str | None
    pages_done: int
    response_date: str | None


@dataclass
class SourceStatus:
    """What `unioncat status` shows for one source."""

    source: str
    records: int = 0
    deleted: int = 0
    quarantined: int = 0
    last_started: datetime | None = None
    last_finished: datetime | None = None
    last_success: datetime | None = None
    last_outcome: str | None = None
    last_error: str | None = None
    next_from: str | None = None


@dataclass
class QuarantinedRecord:
    """A quarantined record as listed for the operator."""

    id: int
    source: str
    oai_identifier: str | None
    local_id: str | None
    position: str
    reason: str
    created_at: datetime
    raw: bytes
    raw_format: str


PAGE_FORMAT = "oai-page"       # raw_format of a whole page kept aside, not one record


class StateMixin:
    """Harvest bookkeeping; see `store.Store`."""

    def checkpoint(self, source: str) -> Checkpoint | None:
        """The saved resumption point of `source`, if a list was interrupted."""
        with self.reading() as conn:
            row = conn.execute(select(schema.checkpoints).where(schema.checkpoints.c.source == source)).first()
        if row is None:
            return None
        return Checkpoint(row.source, row.window_from, row.window_until, row.token, row.pages_done, row.response_date)

    def _save_checkpoint(self, conn: Connection, values: dict) -> None:
        upsert(conn, schema.checkpoints, {**values, "updated_at": now()}, ("source",))

    def save_checkpoint(self, **values) -> None:
        """Save a checkpoint on its own (normally it travels with a page's records)."""
        with self.transaction() as conn:
            self._save_checkpoint(conn, values)
            self.check_fences(conn, {values["source"]})

    def clear_checkpoint(self, source: str) -> None:
        """Forget the resumption point once a list is complete."""
        with self.transaction() as conn:
            conn.execute(delete(schema.checkpoints).where(schema.checkpoints.c.source == source))

    def finish_list(self, source: str, *, next_from: str | None, granularity: str) -> None:
        """Close a complete list in one transaction: forget the checkpoint, remember where the
        next run starts, and resolve the pages kept aside on the way (the list got past them)."""
        q = schema.quarantine
        with self.transaction() as conn:
            conn.execute(delete(schema.checkpoints).where(schema.checkpoints.c.source == source))
            _upsert_state(conn, source, {"next_from": next_from, "granularity": granularity})
            conn.execute(update(q).where(q.c.source == source, q.c.resolved.is_(False), q.c.raw_format == PAGE_FORMAT)
                         .values(resolved=True))
            self.check_fences(conn, {source})

    def set_source_state(self, source: str, **values) -> None:
        """Update the bookkeeping row of a source (last_started, last_outcome, ...); fenced like a page:
        a process that lost the source's harvest lease cannot overwrite its new holder's outcome."""
        with self.transaction() as conn:
            self.check_fences(conn, {source})
            _upsert_state(conn, source, values)

    def source_state(self, source: str) -> SourceStatus:
        """The bookkeeping of one source (empty when never harvested)."""
        return self.status([source])[0]

    def last_successes(self) -> dict[str, datetime]:
        """When each source was last harvested successfully (one small table: no record counts)."""
        state = schema.source_state
        with self.reading() as conn:
            return {row.source: row.last_success for row in conn.execute(
                select(state.c.source, state.c.last_success).where(state.c.last_success.is_not(None)))}

    def status(self, sources: list[str]) -> list[SourceStatus]:
        """One `SourceStatus` per source code, in the order given."""
        counts = self.record_counts()
        with self.reading() as conn:
            states = {row.source: row for row in conn.execute(select(schema.source_state))}
            quarantined = dict(conn.execute(
                select(schema.quarantine.c.source, func.count())
                .where(schema.quarantine.c.resolved.is_(False)).group_by(schema.quarantine.c.source)
            ).all())
        out = []
        for code in sources:
            row = states.get(code)
            status = SourceStatus(code, quarantined=quarantined.get(code, 0), **counts.get(code, {}))
            if row is not None:
                for name in ("last_started", "last_finished", "last_success", "last_outcome", "last_error", "next_from"):
                    setattr(status, name, getattr(row, name))
            out.append(status)
        return out

    def quarantined(self, source: str | None = None) -> list[QuarantinedRecord]:
        """Unresolved quarantined records, oldest first."""
        table = schema.quarantine
        query = select(table).where(table.c.resolved.is_(False)).order_by(table.c.id)
        if source:
            query = query.where(table.c.source == source)
        with self.reading() as conn:
            return [
                QuarantinedRecord(r.id, r.source, r.oai_identifier, r.local_id, r.position or "", r.reason,
                                  r.created_at, r.raw or b"", r.raw_format or "")
                for r in conn.execute(query)
            ]

    def quarantined_identifiers(self, source: str) -> set[str]:
        """OAI identifiers of the records of `source` waiting in quarantine."""
        q = schema.quarantine
        query = select(q.c.oai_identifier).where(q.c.source == source, q.c.resolved.is_(False),
                                                 q.c.oai_identifier.is_not(None))
        with self.reading() as conn:
            return set(conn.execute(query).scalars())

    def quarantine_reason(self, item_id: int, reason: str) -> None:
        """Record why a retried quarantined record is still kept aside."""
        with self.transaction() as conn:
            conn.execute(update(schema.quarantine).where(schema.quarantine.c.id == item_id).values(reason=reason))

    def resolve_quarantined(self, ids: list[int]) -> None:
        """Mark quarantined records as dealt with (retried successfully or given up)."""
        with self.transaction() as conn:
            conn.execute(update(schema.quarantine).where(schema.quarantine.c.id.in_(ids)).values(resolved=True))

    def start_run(self, command: str) -> int:
        """Record the start of a run; returns its id."""
        with self.transaction() as conn:
            result = conn.execute(insert(schema.runs).values(command=command, started_at=now()))
            return result.inserted_primary_key[0]

    def last_finished_run(self, command: str) -> dict | None:
        """The latest finished run of `command`: id, started_at, finished_at and outcome (None: never)."""
        runs = schema.runs
        query = (select(runs.c.id, runs.c.started_at, runs.c.finished_at, runs.c.outcome)
                 .where(runs.c.command == command, runs.c.finished_at.is_not(None)).order_by(runs.c.id.desc()).limit(1))
        with self.reading() as conn:
            return _finished_run(conn.execute(query).first())

    def recent_runs(self, command: str, limit: int = 10) -> list[dict]:
        """The latest finished runs of `command`, newest first: id, started_at, finished_at, outcome, report."""
        runs = schema.runs
        query = (select(runs).where(runs.c.command == command, runs.c.finished_at.is_not(None))
                 .order_by(runs.c.id.desc()).limit(limit))
        with self.reading() as conn:
            return [{**_finished_run(row), "report": json.loads(row.report) if row.report else {}}
                    for row in conn.execute(query)]

    def finish_run(self, run_id: int, outcome: str, report: dict) -> None:
        """Record a run's outcome and report."""
        with self.transaction() as conn:
            conn.execute(update(schema.runs).where(schema.runs.c.id == run_id).values(
                finished_at=now(), outcome=outcome, report=json.dumps(report, default=str)))


def _finished_run(row) -> dict | None:
    return None if row is None else {"id": row.id, "started_at": row.started_at, "finished_at": row.finished_at,
                                     "outcome": row.outcome}


def _upsert_state(conn: Connection, source: str, values: dict) -> None:
    upsert(conn, schema.source_state, {"source": source, **values}, ("source",))
