"""Stored records whose normalised form came from older rules, and their re-derived forms.

A record's `rules_version` says which version of the normalisation rules
made its `data` (null: stored before versions were kept). After an upgrade
`harvest.renormalise` reads the older ones a batch at a time, derives them
again from their raw MARC and saves them here: a record whose normalised
form did not change only gets the new version; one that changed gets its
new columns and is flagged for matching, so only it goes through dedup and
the index again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import and_, func, or_, select, update

from store.core import chunks
from store.records import StoredRecord, stored_record
from store.rows import record_columns, record_json
from store.schema import records as t

if TYPE_CHECKING:
    from normalise import Record


@dataclass(frozen=True)
class Rederived:
    """One record's outcome: its new form (None: it could not be derived again, kept as it was)."""

    record_id: int
    record: "Record | None"


class RederiveMixin:
    """See the module docstring; part of `store.Store`."""

    def count_to_rederive(self, version: int, *, sources: list[str] | None = None, every: bool = False,
                          after_id: int = 0) -> int:
        """How many live records `records_to_rederive` would still give after `after_id`."""
        query = select(func.count()).select_from(t).where(t.c.id > after_id, *_live(sources))
        if not every:
            query = query.where(_older(version))
        with self.reading() as conn:
            return int(conn.execute(query).scalar_one())

    def records_to_rederive(self, version: int, after_id: int, limit: int, *, sources: list[str] | None = None,
                            every: bool = False) -> list[StoredRecord]:
        """The next `limit` live records (by id, after `after_id`) to derive again: those older than
        `version`, or with `every` all of them (a source whose configuration changed)."""
        query = select(t).where(t.c.id > after_id, *_live(sources))
        if not every:
            query = query.where(_older(version))
        with self.reading() as conn:
            return [stored_record(row) for row in conn.execute(query.order_by(t.c.id).limit(limit))]

    def save_rederived(self, version: int, outcomes: list[Rederived]) -> int:
        """Save a batch of outcomes under `version`; how many records' normalised form changed."""
        changed = 0
        with self.transaction() as conn:
            current = {}
            for ids in chunks([o.record_id for o in outcomes], 500):
                current.update(conn.execute(select(t.c.id, t.c.data).where(t.c.id.in_(ids))).all())
            same = []
            for outcome in outcomes:
                if outcome.record is None or record_json(outcome.record) == current.get(outcome.record_id):
                    same.append(outcome.record_id)
                    continue
                conn.execute(update(t).where(t.c.id == outcome.record_id).values(
                    {**record_columns(outcome.record), "rules_version": version, "needs_match": True}))
                changed += 1
            for ids in chunks(same, 500):
                conn.execute(update(t).where(t.c.id.in_(ids)).values(rules_version=version))
        return changed


def _older(version: int):
    return or_(t.c.rules_version.is_(None), t.c.rules_version < version)


def _live(sources: list[str] | None) -> list:
    conditions = [t.c.deleted.is_(False), t.c.raw.is_not(None)]
    if sources:
        conditions.append(t.c.source.in_(sources))
    return [and_(*conditions)]
