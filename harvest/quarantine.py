"""Retry quarantined records: read the kept bytes again, or fetch the record again.

A record leaves the quarantine when its kept bytes now normalise (after a
rule or reader fix), or, for an OAI-PMH record whose bytes are unusable, when
GetRecord brings a usable version or says the record was deleted. A record
that still fails stays, with the reason it fails for now. Pages kept aside
whole are not retried here: the next harvest resumes at them, and they are
resolved when the list gets past them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from harvest.errors import HarvestError
from harvest.gaps import get_record, incoming
from harvest.records import from_oai, from_raw
from harvest.transport import RetryPolicy, Transport
from normalise import MARCXML, MarcReadError, RawRecord, parse_raw, read_xml
from settings import SourceConfig
from store import IncomingRecord, QuarantinedRecord, QuarantineItem, Store
from store.state import PAGE_FORMAT


@dataclass
class RetryReport:
    """What a retry did: the entries resolved, and those still kept aside with today's reason."""

    resolved: list[QuarantinedRecord] = field(default_factory=list)
    remaining: list[tuple[QuarantinedRecord, str]] = field(default_factory=list)


def retry_quarantined(store: Store, sources: list[SourceConfig],
                      policy: Callable[[SourceConfig], RetryPolicy], *, only: set[int] | None = None) -> RetryReport:
    """Retry every unresolved quarantined record of `sources` (or only the entries numbered in `only`)."""
    report = RetryReport()
    transports: dict[str, Transport] = {}
    for source in sources:
        for entry in store.quarantined(source.code):
            if only is not None and entry.id not in only:
                continue
            reason = _retry(store, source, entry, lambda s=source: _transport(transports, s, policy))
            if reason is None:
                store.resolve_quarantined([entry.id])
                report.resolved.append(entry)
            else:
                if reason != entry.reason:
                    store.quarantine_reason(entry.id, reason)
                report.remaining.append((entry, reason))
    return report


def _transport(cache: dict[str, Transport], source: SourceConfig, policy: Callable) -> Transport:
    if source.code not in cache:
        cache[source.code] = Transport(source.url, policy(source))
    return cache[source.code]


def _retry(store: Store, source: SourceConfig, entry: QuarantinedRecord, transport: Callable[[], Transport]) -> str | None:
    """None when the record is now stored; else why it stays in quarantine."""
    if entry.raw_format == PAGE_FORMAT:
        return entry.reason
    result = from_kept_bytes(source, entry)
    if isinstance(result, QuarantineItem) and source.type == "oai" and entry.oai_identifier:
        result = _fetched_again(source, entry, transport(), result)
    if isinstance(result, QuarantineItem):
        return result.reason
    return _store(store, result)


def from_kept_bytes(source: SourceConfig, entry: QuarantinedRecord) -> IncomingRecord | QuarantineItem:
    """The quarantined record read again from its kept bytes."""
    if not entry.raw:
        return QuarantineItem(source.code, entry.reason)
    if entry.oai_identifier and entry.raw_format == MARCXML:
        try:
            element, flags = read_xml(entry.raw)
        except MarcReadError as exc:
            return QuarantineItem(source.code, f"kept bytes are not XML: {exc}")
        return from_oai(source, entry.oai_identifier, None, element, flags, entry.position)
    try:
        marc, flags = parse_raw(entry.raw, entry.raw_format)
    except MarcReadError as exc:
        return QuarantineItem(source.code, str(exc))
    return from_raw(source, RawRecord(0, entry.raw, entry.raw_format, marc, flags), entry.position)


def _fetched_again(source: SourceConfig, entry: QuarantinedRecord, transport: Transport,
                   failed: QuarantineItem) -> IncomingRecord | QuarantineItem:
    try:
        item = get_record(transport, source, entry.oai_identifier)
    except HarvestError as exc:
        return QuarantineItem(source.code, f"{failed.reason}; GetRecord failed: {exc}")
    if item is None:       # the server no longer knows it: nothing left to keep
        return IncomingRecord(source.code, None, oai_identifier=entry.oai_identifier, deleted=True)
    return incoming(source, item, "GetRecord")


def _store(store: Store, item: IncomingRecord) -> str | None:
    """Store a record that now reads; refused when its 001 is already another stored record's."""
    if item.local_id and not item.deleted:
        held = store.record_by_public_id(f"{item.source}:{item.local_id}")
        if held is not None and not held.deleted and (not item.oai_identifier
                                                      or held.oai_identifier != item.oai_identifier):
            return f"control number {item.local_id!r} is already stored from another record"
    store.write_page([item])
    return None


def retry_entry(store: Store, sources: list[SourceConfig], policy: Callable[[SourceConfig], RetryPolicy],
                entry_id: int) -> str | None:
    """Retry one quarantined entry (the staff area's retry button): None when it left the quarantine (or had
    already), else why it stays."""
    entry = next((q for q in store.quarantined() if q.id == entry_id), None)
    if entry is None:
        return None
    source = next((s for s in sources if s.code == entry.source), None)
    if source is None:
        return f"source {entry.source} is no longer configured"
    report = retry_quarantined(store, [source], policy, only={entry_id})
    return report.remaining[0][1] if report.remaining else None
