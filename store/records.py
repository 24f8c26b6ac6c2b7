"""Writing and reading harvested records: one transaction per page or file batch."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.engine import Connection

from normalise import RULES_VERSION, Record
from store import schema
from store.core import MAX_INDEXED_BYTES, chunks, now
from store.rows import content_hash, record_columns, record_row

t = schema.records


@dataclass
class IncomingRecord:
    """A record as a harvester hands it to the store."""

    source: str
    local_id: str | None
    raw: bytes = b""
    raw_format: str = ""
    record: Record | None = None
    oai_identifier: str | None = None
    datestamp: str | None = None
    deleted: bool = False


@dataclass
class QuarantineItem:
    """A record that could not be stored, with its reason and bytes."""

    source: str
    reason: str
    position: str = ""
    oai_identifier: str | None = None
    local_id: str | None = None
    raw: bytes = b""
    raw_format: str = ""


@dataclass
class PageCounts:
    """What one write did."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted: int = 0
    quarantined: int = 0
    quarantined_items: list[QuarantineItem] = field(default_factory=list)

    def add(self, other: "PageCounts") -> None:
        """Accumulate another write's counts into this one."""
        for name in ("new", "changed", "unchanged", "deleted", "quarantined"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.quarantined_items += other.quarantined_items


@dataclass
class StoredRecord:
    """A record as the store holds it."""

    id: int
    source: str
    local_id: str | None
    oai_identifier: str | None
    datestamp: str | None
    deleted: bool
    raw: bytes
    raw_format: str
    record: Record | None
    flags: list[str]

    @property
    def public_id(self) -> str:
        """The id patrons and librarians see: `source:local_id`."""
        return f"{self.source}:{self.local_id}"


class RecordsMixin:
    """Record writes and reads; see `store.Store`."""

    def write_page(
        self, items: Iterable[IncomingRecord], quarantined: Iterable[QuarantineItem] = (),
        *, checkpoint: dict | None = None, run_id: int | None = None,
    ) -> PageCounts:
        """Store a page of records, its quarantined records and the checkpoint, atomically.

        Records already stored are looked up once for the whole page, new ones
        are inserted together; a record that arrives again (by OAI identifier,
        else by control number) is updated only if its bytes or its deletion
        changed. Quarantine entries of records now stored are resolved.
        """
        items, quarantined = list(items), list(quarantined)
        counts = PageCounts()
        with self.transaction() as conn:
            writer = _PageWriter(conn, items, counts)
            for item in items:
                problem = writer.write(item)
                if problem:
                    quarantined.append(problem)
            writer.flush()
            _resolve_stored(conn, writer.stored_oai_ids)
            for item in quarantined:
                if _quarantine(conn, item, run_id):
                    counts.quarantined += 1
                    counts.quarantined_items.append(item)
            if checkpoint is not None:
                self._save_checkpoint(conn, checkpoint)
            sources = {i.source for i in items} | {q.source for q in quarantined} | {(checkpoint or {}).get("source")}
            self.check_fences(conn, sources - {None})
        return counts

    def mark_deleted(self, source: str, keys: Iterable[str], *, by_oai: bool = True) -> int:
        """Mark the live records of `source` with these OAI identifiers (or 001s) deleted; returns how many."""
        column = t.c.oai_identifier if by_oai else t.c.local_id
        marked = 0
        with self.transaction() as conn:
            for chunk in chunks(sorted(keys), 500):
                ids = conn.execute(select(t.c.id).where(t.c.source == source, t.c.deleted.is_(False),
                                                        column.in_(chunk))).scalars().all()
                _mark_ids_deleted(conn, ids)
                marked += len(ids)
        return marked

    def stored_versions(self, source: str, oai_identifiers: list[str]) -> dict[str, tuple[str | None, bool]]:
        """(datestamp, deleted) of the stored records of `source` among these OAI identifiers."""
        out = {}
        with self.reading() as conn:
            for chunk in chunks(sorted(set(oai_identifiers)), 500):
                query = select(t.c.oai_identifier, t.c.datestamp, t.c.deleted).where(
                    t.c.source == source, t.c.oai_identifier.in_(chunk))
                out.update({row.oai_identifier: (row.datestamp, bool(row.deleted)) for row in conn.execute(query)})
        return out

    def live_identifiers(self, source: str, *, by_oai: bool = True) -> set[str]:
        """The OAI identifiers (or 001s) of the live records of `source`."""
        column = t.c.oai_identifier if by_oai else t.c.local_id
        query = select(column).where(t.c.source == source, t.c.deleted.is_(False), column.is_not(None))
        with self.reading() as conn:
            return set(conn.execute(query).scalars())

    def records(self, *, source: str | None = None, live_only: bool = True, ids: Iterable[int] | None = None) -> Iterator[StoredRecord]:
        """Stored records, optionally of one source or by id."""
        query = select(t).order_by(t.c.id)
        if source:
            query = query.where(t.c.source == source)
        if live_only:
            query = query.where(t.c.deleted.is_(False))
        id_list = list(ids) if ids is not None else None
        with self.reading() as conn:
            if id_list is None:
                yield from (stored_record(row) for row in conn.execute(query))
                return
            for chunk in chunks(id_list, 500):
                yield from (stored_record(row) for row in conn.execute(query.where(t.c.id.in_(chunk))))

    def record_by_public_id(self, public_id: str) -> StoredRecord | None:
        """The record `source:local_id`, deleted or not."""
        source, _, local = public_id.partition(":")
        with self.reading() as conn:
            row = conn.execute(select(t).where(t.c.source == source, t.c.local_id == local)).first()
        return stored_record(row) if row else None

    def record_counts(self) -> dict[str, dict[str, int]]:
        """Per source: live and deleted record counts."""
        query = select(t.c.source, t.c.deleted, func.count()).group_by(t.c.source, t.c.deleted)
        out: dict[str, dict[str, int]] = {}
        with self.reading() as conn:
            for source, deleted, count in conn.execute(query):
                out.setdefault(source, {"records": 0, "deleted": 0})["deleted" if deleted else "records"] = count
        return out

    def holdings_records(self, source: str, parent_id: str) -> list[StoredRecord]:
        """Live separate holdings records of `source` that point at bibliographic record `parent_id`."""
        query = select(t).where(t.c.source == source, t.c.parent_id == parent_id, t.c.deleted.is_(False)).order_by(t.c.id)
        with self.reading() as conn:
            return [stored_record(row) for row in conn.execute(query)]

    def replace_record_data(self, record_id: int, record: Record) -> None:
        """Store a re-normalised record (after a rule change) and flag it for matching."""
        with self.transaction() as conn:
            conn.execute(update(t).where(t.c.id == record_id).values(**record_columns(record), needs_match=True))

    def purge_tombstones(self, source: str) -> int:
        """Delete records of `source` that were never alive (deleted with no 001)."""
        with self.transaction() as conn:
            result = conn.execute(delete(t).where(and_(t.c.source == source, t.c.local_id.is_(None))))
        return result.rowcount or 0


def _mark_ids_deleted(conn: Connection, ids: list[int]) -> None:
    for chunk in chunks(list(ids), 500):
        conn.execute(update(t).where(t.c.id.in_(chunk)).values(deleted=True, needs_match=True, updated_at=now()))


class _PageWriter:
    """Writes one page's records with one lookup of what is already stored."""

    def __init__(self, conn: Connection, items: list[IncomingRecord], counts: PageCounts):
        self.conn, self.counts = conn, counts
        self.by_oai, self.by_local = _existing(conn, items)
        self.pending: dict[tuple, dict] = {}
        self.stored_oai_ids: dict[str, set[str]] = {}

    def write(self, item: IncomingRecord) -> QuarantineItem | None:
        """Insert, update or skip one record; a control-number clash comes back for quarantine."""
        too_long = _too_long_to_index(item)
        if too_long:
            return QuarantineItem(item.source, too_long, oai_identifier=item.oai_identifier, local_id=item.local_id,
                                  raw=item.raw, raw_format=item.raw_format)
        existing = self._find(item)
        digest = content_hash(item)
        if existing is None and item.deleted and not item.oai_identifier:
            self.counts.deleted += 1       # a file record never seen: nothing to keep
            return None
        clash = self._clash(item, existing)
        if clash:
            return QuarantineItem(item.source, clash, oai_identifier=item.oai_identifier, local_id=item.local_id,
                                  raw=item.raw, raw_format=item.raw_format)
        if existing is None:
            self._insert(item, digest)
        elif existing["hash"] != digest or existing["deleted"] != item.deleted:
            self._update(item, digest, existing)
        elif self._older_rules(item, existing):
            self._rederive(item, existing)
        else:
            self._touch(item, existing)
        if item.oai_identifier:
            self.stored_oai_ids.setdefault(item.source, set()).add(item.oai_identifier)
        return None

    def flush(self) -> None:
        """Insert the page's new records in one statement."""
        if self.pending:
            self.conn.execute(insert(t), list(self.pending.values()))

    def _find(self, item: IncomingRecord) -> dict | None:
        if item.oai_identifier:
            return self.by_oai.get((item.source, item.oai_identifier))
        return self.by_local.get((item.source, item.local_id))

    def _clash(self, item: IncomingRecord, existing: dict | None) -> str | None:
        """Two live OAI identifiers carrying the same 001 cannot both be `source:001`.

        A deleted record gives its 001 up (its tombstone stays, without it): the
        member re-created the record under a new identifier, as a migration does.
        """
        if item.deleted or not item.oai_identifier or not item.local_id:
            return None
        other = self.by_local.get((item.source, item.local_id))
        if other is None or other is existing or other["oai"] == item.oai_identifier:
            return None
        if other["deleted"] and other["id"] is not None:
            self.conn.execute(update(t).where(t.c.id == other["id"]).values(local_id=None))
            del self.by_local[(item.source, item.local_id)]
            other["local"] = None
            return None
        return f"control number {item.local_id!r} is already used by {other['oai']}"

    def _insert(self, item: IncomingRecord, digest: str) -> None:
        row = record_row(item, digest)
        key = (item.source, item.oai_identifier or item.local_id)
        self.pending[key] = row
        self._remember(item, {"id": None, "key": key, "hash": digest, "deleted": item.deleted,
                              "oai": item.oai_identifier, "local": item.local_id, "datestamp": item.datestamp})
        if item.deleted:
            self.counts.deleted += 1
        else:
            self.counts.new += 1

    def _update(self, item: IncomingRecord, digest: str, existing: dict) -> None:
        values = record_row(item, digest)
        if item.deleted:
            values = {k: values[k] for k in ("deleted", "datestamp", "content_hash", "updated_at", "needs_match")}
        if existing["id"] is None:          # arrived earlier on this very page
            self.pending[existing["key"]].update(values)
        else:
            self.conn.execute(update(t).where(t.c.id == existing["id"]).values(**values))
        if item.deleted:
            self.counts.deleted += 0 if existing["deleted"] else 1
        else:
            self.counts.changed += 1
        self.by_local.pop((item.source, existing["local"]), None)
        self._remember(item, {**existing, "hash": digest, "deleted": item.deleted, "datestamp": item.datestamp,
                              "local": item.local_id if not item.deleted else existing["local"]})

    def _older_rules(self, item: IncomingRecord, existing: dict) -> bool:
        """The same bytes again, stored in a form older rules made (`harvest --full` after an upgrade)."""
        return (item.record is not None and not item.deleted and existing["id"] is not None
                and existing["rules"] != RULES_VERSION)

    def _rederive(self, item: IncomingRecord, existing: dict) -> None:
        """Keep the new form; only a form that changed is matched again (and counted as changed)."""
        columns = record_columns(item.record)
        stored = self.conn.execute(select(t.c.data).where(t.c.id == existing["id"])).scalar_one()
        if stored == columns["data"]:
            self.conn.execute(update(t).where(t.c.id == existing["id"]).values(rules_version=columns["rules_version"]))
            self._touch(item, existing)
        else:
            self.conn.execute(update(t).where(t.c.id == existing["id"]).values(**columns, needs_match=True))
            self.counts.changed += 1
        existing["rules"] = columns["rules_version"]

    def _touch(self, item: IncomingRecord, existing: dict) -> None:
        """An unchanged record: only a new datestamp is kept, so the store says which version it holds."""
        self.counts.unchanged += 1
        if item.datestamp and existing.get("datestamp") != item.datestamp:
            if existing["id"] is None:
                self.pending[existing["key"]]["datestamp"] = item.datestamp
            else:
                self.conn.execute(update(t).where(t.c.id == existing["id"]).values(datestamp=item.datestamp))
            existing["datestamp"] = item.datestamp

    def _remember(self, item: IncomingRecord, entry: dict) -> None:
        if entry["oai"]:
            self.by_oai[(item.source, entry["oai"])] = entry
        if entry["local"]:
            self.by_local[(item.source, entry["local"])] = entry


def _too_long_to_index(item: IncomingRecord) -> str | None:
    """Why a record's identifiers cannot be stored (they are indexed), or None."""
    parent = item.record.holdings_of if item.record is not None else None
    for name, value in (("control number", item.local_id), ("OAI identifier", item.oai_identifier),
                        ("control number of the record it holds (004)", parent)):
        if value and len(value.encode("utf-8")) > MAX_INDEXED_BYTES:
            return f"{name} is longer than {MAX_INDEXED_BYTES} bytes ({len(value.encode('utf-8'))})"
    return None


def _existing(conn: Connection, items: list[IncomingRecord]) -> tuple[dict, dict]:
    """Rows already stored for the page's OAI identifiers and control numbers, keyed both ways."""
    by_oai: dict[tuple, dict] = {}
    by_local: dict[tuple, dict] = {}
    wanted: dict[str, tuple[set, set]] = {}
    for item in items:
        oai_ids, local_ids = wanted.setdefault(item.source, (set(), set()))
        if item.oai_identifier:
            oai_ids.add(item.oai_identifier)
        if item.local_id:
            local_ids.add(item.local_id)
    columns = (t.c.id, t.c.source, t.c.oai_identifier, t.c.local_id, t.c.content_hash, t.c.deleted, t.c.datestamp,
               t.c.rules_version)
    for source, (oai_ids, local_ids) in wanted.items():
        for column, keys in ((t.c.oai_identifier, oai_ids), (t.c.local_id, local_ids)):
            for chunk in chunks(sorted(keys), 500):
                for row in conn.execute(select(*columns).where(t.c.source == source, column.in_(chunk))):
                    entry = {"id": row.id, "key": None, "hash": row.content_hash, "deleted": bool(row.deleted),
                             "oai": row.oai_identifier, "local": row.local_id, "datestamp": row.datestamp,
                             "rules": row.rules_version}
                    if row.oai_identifier:
                        by_oai.setdefault((source, row.oai_identifier), entry)
                    if row.local_id:
                        by_local.setdefault((source, row.local_id), entry)
    return by_oai, by_local


def _resolve_stored(conn: Connection, stored: dict[str, set[str]]) -> None:
    """Records stored now leave the quarantine their earlier versions were kept in."""
    q = schema.quarantine
    for source, oai_ids in stored.items():
        for chunk in chunks(sorted(oai_ids), 500):
            conn.execute(update(q).where(q.c.source == source, q.c.resolved.is_(False),
                                         q.c.oai_identifier.in_(chunk)).values(resolved=True))


def _quarantine(conn: Connection, item: QuarantineItem, run_id: int | None) -> bool:
    """Keep a record aside; False when the same problem is already waiting in quarantine."""
    q = schema.quarantine
    same = conn.execute(select(q.c.id).where(
        q.c.source == item.source, q.c.resolved.is_(False), q.c.reason == item.reason,
        q.c.position == item.position, _same(q.c.oai_identifier, item.oai_identifier),
        _same(q.c.local_id, item.local_id), _same(q.c.raw, item.raw or None))).first()
    if same is not None:
        return False
    conn.execute(insert(schema.quarantine).values(
        source=item.source, oai_identifier=item.oai_identifier, local_id=item.local_id,
        position=item.position, reason=item.reason, raw=item.raw or None, raw_format=item.raw_format or None,
        run_id=run_id, created_at=now(), resolved=False,
    ))
    return True


def _same(column, value):
    return column.is_(None) if value is None else column == value


def stored_record(row) -> StoredRecord:
    """A `records` row (every column) as a `StoredRecord`, its normalised record read back from JSON."""
    data = json.loads(row.data) if row.data else None
    return StoredRecord(
        id=row.id, source=row.source, local_id=row.local_id, oai_identifier=row.oai_identifier,
        datestamp=row.datestamp, deleted=bool(row.deleted), raw=row.raw or b"", raw_format=row.raw_format or "",
        record=Record.from_dict(data) if data else None, flags=(row.flags or "").split(),
    )


#END
