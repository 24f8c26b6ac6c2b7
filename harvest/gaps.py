"""Records a list skipped, found by listing headers and fetched one by one with GetRecord.

Servers that page by offset (oaipmh's BatchingServer, many others) shift
their lists when a record changes or disappears mid-harvest: the record that
slides into an already fetched page is never sent, and its datestamp is too
old for the next run's `from`. Such a list betrays itself by sending a record
twice, or fewer records than its `completeListSize` announced; the harvester
then lists the window's headers (ListIdentifiers) and fetches every record
whose identifier, datestamp or deletion the store does not hold.
"""

from __future__ import annotations

from harvest.errors import OAIProtocolError
from harvest.lists import Listing, fetch_parsed
from harvest.pages import OAIItem, parse_list_page
from harvest.records import from_oai
from harvest.report import SourceReport
from harvest.transport import Transport
from settings import SourceConfig
from store import IncomingRecord, QuarantineItem, Store

MAX_FETCHED = 1000      # records fetched one by one per run; more points at a bigger problem


def list_headers(transport: Transport, source: SourceConfig, window_from: str | None = None) -> list[OAIItem]:
    """Every header the server lists for the source's format, set and window."""
    params = {"verb": "ListIdentifiers", "metadataPrefix": source.metadata_prefix}
    if window_from:
        params["from"] = window_from
    if source.set:
        params["set"] = source.set
    return [item for page in Listing(transport, params).pages() for item in page.items]


def fill_gaps(store: Store, transport: Transport, source: SourceConfig, headers: list[OAIItem],
              report: SourceReport, run_id: int | None = None) -> int:
    """Fetch the listed records the store does not hold as listed; returns how many were fetched."""
    held = store.stored_versions(source.code, [h.identifier for h in headers])
    waiting = store.quarantined_identifiers(source.code)
    wanted = [h.identifier for h in headers if h.identifier not in waiting
              and held.get(h.identifier) != (h.datestamp, h.deleted)]
    wanted = sorted(set(wanted))
    if wanted:
        fetch_records(store, transport, source, wanted[:MAX_FETCHED], report, run_id)
        report.notes.append(f"{len(wanted)} listed record(s) were not stored as listed; fetched with GetRecord"
                            + (f" (the first {MAX_FETCHED})" if len(wanted) > MAX_FETCHED else ""))
    return len(wanted)


def fetch_records(store: Store, transport: Transport, source: SourceConfig, identifiers: list[str],
                  report: SourceReport, run_id: int | None = None) -> None:
    """Fetch records one by one with GetRecord and store them (or quarantine them)."""
    items: list[IncomingRecord] = []
    quarantined: list[QuarantineItem] = []
    for identifier in identifiers:
        item = get_record(transport, source, identifier)
        if item is None:
            continue
        result = incoming(source, item, "GetRecord")
        (quarantined if isinstance(result, QuarantineItem) else items).append(result)
    report.counts.add(store.write_page(items, quarantined, run_id=run_id))


def get_record(transport: Transport, source: SourceConfig, identifier: str) -> OAIItem | None:
    """One record by its identifier, or None when the server does not know it."""
    params = {"verb": "GetRecord", "identifier": identifier, "metadataPrefix": source.metadata_prefix}
    try:
        page = fetch_parsed(transport, params, parse_list_page)
    except OAIProtocolError as exc:
        if exc.code != "idDoesNotExist":
            raise
        return None
    return page.items[0] if page.items else None


def incoming(source: SourceConfig, item: OAIItem, where: str) -> IncomingRecord | QuarantineItem:
    """What the store is handed for one OAI item: a tombstone, a record, or a quarantine item."""
    if item.deleted:
        return IncomingRecord(source.code, None, oai_identifier=item.identifier, datestamp=item.datestamp, deleted=True)
    return from_oai(source, item.identifier, item.datestamp, item.metadata, item.flags, where)
