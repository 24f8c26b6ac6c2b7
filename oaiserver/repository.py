"""An in-memory OAI-PMH repository of MARC records, and a loader for MARC files.

Records are kept in a stable order, by datestamp then identifier, so a
cursor into a listing means the same records on every request as long as
nothing changes; records added or deleted mid-harvest shift the offsets,
exactly as they do on many real servers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from lxml import etree

from oaiserver import marcfiles
from oaiserver.errors import RecordError, UnknownRecordError

GRANULARITIES = ("YYYY-MM-DD", "YYYY-MM-DDThh:mm:ssZ")
DELETED_RECORD_POLICIES = ("no", "transient", "persistent")
EPOCH = datetime(1970, 1, 1)
MarcXml = bytes | str | etree._Element


@dataclass(frozen=True)
class OaiRecord:
    """One record as the repository holds it; a tombstone when ``deleted``.

    ``datestamp`` is a naive datetime in UTC without microseconds (the form
    the oaipmh library expects); ``marcxml`` is the serialized slim record.
    """

    identifier: str
    datestamp: datetime
    marcxml: bytes | None
    sets: tuple[str, ...] = ()
    deleted: bool = False

    def element(self) -> etree._Element:
        """Return a fresh copy of the MARCXML record element."""
        if self.marcxml is None:
            raise RecordError(f"{self.identifier} is deleted and has no metadata")
        return etree.fromstring(self.marcxml)

    def in_set(self, spec: str) -> bool:
        """True if the record is in set *spec* or in one of its subsets."""
        return any(own == spec or own.startswith(spec + ":") for own in self.sets)

    def sort_key(self) -> tuple[datetime, str]:
        """The key that orders listings: datestamp, then identifier."""
        return (self.datestamp, self.identifier)


def utc_datestamp(moment: datetime | None = None) -> datetime:
    """Turn *moment* (aware, or naive meaning UTC; default now) into a datestamp."""
    moment = moment or datetime.now(timezone.utc)
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.replace(microsecond=0)


class Repository:
    """A thread-safe, in-memory set of records served over OAI-PMH.

    ``deleted_record`` is what Identify reports: with ``"persistent"`` or
    ``"transient"`` a deletion leaves a tombstone that is listed with
    ``status="deleted"``; with ``"no"`` the record simply disappears.
    ``base_url`` may stay empty: the app then reports the URL it was
    reached at.
    """

    def __init__(
        self,
        records: Iterable[OaiRecord] = (),
        *,
        granularity: str = "YYYY-MM-DDThh:mm:ssZ",
        deleted_record: str = "persistent",
        name: str = "unioncat test repository",
        base_url: str = "",
        admin_email: str = "oai-admin@localhost",
    ):
        if granularity not in GRANULARITIES:
            raise ValueError(f"granularity must be one of {GRANULARITIES}")
        if deleted_record not in DELETED_RECORD_POLICIES:
            raise ValueError(f"deleted_record must be one of {DELETED_RECORD_POLICIES}")
        self.granularity = granularity
        self.deleted_record = deleted_record
        self.name = name
        self.base_url = base_url
        self.admin_email = admin_email
        self._lock = threading.RLock()
        self._records: dict[str, OaiRecord] = {}
        self._ordered: list[OaiRecord] | None = None
        for record in records:
            self._store(replace(record, datestamp=utc_datestamp(record.datestamp)), new=True)

    @property
    def day_granularity(self) -> bool:
        """True when datestamps are exchanged as days (``YYYY-MM-DD``)."""
        return self.granularity == "YYYY-MM-DD"

    def add(self, identifier: str, marcxml: MarcXml, datestamp: datetime | None = None,
            sets: Iterable[str] = ()) -> OaiRecord:
        """Add a new record (or bring back a deleted one); the identifier must be free."""
        record = _live_record(identifier, marcxml, datestamp, sets)
        with self._lock:
            return self._store(record, new=True)

    def update(self, identifier: str, marcxml: MarcXml | None = None, datestamp: datetime | None = None,
               sets: Iterable[str] | None = None) -> OaiRecord:
        """Change a live record's metadata and/or sets and give it a new datestamp."""
        with self._lock:
            current = self._live(identifier)
            record = _live_record(
                identifier,
                current.marcxml if marcxml is None else marcxml,
                datestamp,
                current.sets if sets is None else sets,
            )
            return self._store(record, new=False)

    def delete(self, identifier: str, datestamp: datetime | None = None) -> OaiRecord:
        """Delete a live record, leaving a tombstone unless deletions are not kept."""
        with self._lock:
            current = self._live(identifier)
            tombstone = OaiRecord(identifier, utc_datestamp(datestamp), None, current.sets, True)
            if self.deleted_record == "no":
                del self._records[identifier]
                self._ordered = None
                return tombstone
            return self._store(tombstone, new=False)

    def get(self, identifier: str) -> OaiRecord | None:
        """Return the record or tombstone held under *identifier*, if any."""
        with self._lock:
            return self._records.get(identifier)

    def select(self, from_: datetime | None = None, until: datetime | None = None,
               set_spec: str | None = None) -> list[OaiRecord]:
        """Return the records (tombstones included) in listing order, filtered.

        *from_* and *until* are inclusive naive UTC datetimes.
        """
        return [
            record for record in self._snapshot()
            if (from_ is None or record.datestamp >= from_)
            and (until is None or record.datestamp <= until)
            and (set_spec is None or record.in_set(set_spec))
        ]

    def set_specs(self) -> list[str]:
        """Every set a record belongs to, with their parent sets, sorted."""
        specs = set()
        for record in self._snapshot():
            for spec in record.sets:
                parts = spec.split(":")
                specs.update(":".join(parts[:end]) for end in range(1, len(parts) + 1))
        return sorted(specs)

    def earliest_datestamp(self) -> datetime:
        """The oldest datestamp held, or 1970-01-01 for an empty repository."""
        ordered = self._snapshot()
        return ordered[0].datestamp if ordered else EPOCH

    def __len__(self) -> int:
        """The number of identifiers held, tombstones included."""
        with self._lock:
            return len(self._records)

    def __iter__(self) -> Iterator[OaiRecord]:
        """Records and tombstones in listing order (a snapshot)."""
        return iter(self._snapshot())

    def _snapshot(self) -> list[OaiRecord]:
        with self._lock:
            if self._ordered is None:
                self._ordered = sorted(self._records.values(), key=OaiRecord.sort_key)
            return self._ordered

    def _live(self, identifier: str) -> OaiRecord:
        record = self._records.get(identifier)
        if record is None or record.deleted:
            raise UnknownRecordError(f"no live record {identifier!r}")
        return record

    def _store(self, record: OaiRecord, *, new: bool) -> OaiRecord:
        current = self._records.get(record.identifier)
        if new and current is not None and not current.deleted:
            raise RecordError(f"identifier already in use: {record.identifier!r}")
        self._records[record.identifier] = record
        self._ordered = None
        return record


def _live_record(identifier, marcxml, datestamp, sets) -> OaiRecord:
    if not identifier:
        raise RecordError("a record needs a non-empty identifier")
    marcxml = marcfiles.serialize(marcfiles.record_element(marcxml))
    return OaiRecord(identifier, utc_datestamp(datestamp), marcxml, tuple(sets))


def load_marc_files(
    paths: Iterable[str | Path],
    identifier_prefix: str = "oai:demo:",
    datestamp: datetime | Callable[[int], datetime] | None = None,
    sets: Iterable[str] = (),
) -> list[OaiRecord]:
    """Read MARCXML and ISO 2709 files into records for :class:`Repository`.

    The identifier is *identifier_prefix* followed by the 001 (URI-escaped);
    a record without a 001 is named after its file and position instead
    (``<prefix><file stem>-<n>``). When two records share an identifier the
    later one wins, as a re-export would. *datestamp* is one datetime for
    all records, a function of the record's position (0-based) in the
    result, or None for now.
    """
    loaded: dict[str, OaiRecord] = {}
    for path in paths:
        for position, element in enumerate(marcfiles.read_marc_file(Path(path)), start=1):
            control = marcfiles.control_number(element) or f"{Path(path).stem}-{position}"
            identifier = marcfiles.identifier_for(identifier_prefix, control)
            loaded.pop(identifier, None)
            loaded[identifier] = OaiRecord(identifier, EPOCH, marcfiles.serialize(element), tuple(sets))
    stamp = _datestamp_function(datestamp)
    return [
        replace(record, datestamp=utc_datestamp(stamp(index)))
        for index, record in enumerate(loaded.values())
    ]


def _datestamp_function(datestamp) -> Callable[[int], datetime]:
    if callable(datestamp):
        return datestamp
    fixed = utc_datestamp(datestamp)
    return lambda _index: fixed
