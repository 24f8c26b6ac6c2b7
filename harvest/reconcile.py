"""Deletions for servers that do not keep them: list identifiers, mark the missing deleted.

When Identify says `deletedRecord` is `no` or `transient`, a record removed at
the server may never be announced. Reconciliation lists every identifier
(ListIdentifiers, no `from`) and marks the stored records that are no longer
listed deleted; but never when the listing came back empty or would remove
more than `max_shrink` of the source, which points at a broken server rather
than a weeded catalogue, unless forced. Identifiers listed but never stored
(a record skipped when a server shifted its offsets mid-list) are fetched with
GetRecord.
"""

from __future__ import annotations

import logging

from harvest.errors import OAIProtocolError
from harvest.lists import Listing, fetch_parsed
from harvest.pages import Identity, OAIItem, parse_list_page
from harvest.records import from_oai
from harvest.report import HarvestOptions, SourceReport
from harvest.transport import Transport
from settings import SourceConfig
from store import IncomingRecord, QuarantineItem, Store

log = logging.getLogger(__name__)
MAX_FETCHED = 1000      # identifiers fetched one by one per run; more points at a bigger problem


def reconcile_deletions(store: Store, source: SourceConfig, transport: Transport, identity: Identity,
                        report: SourceReport, options: HarvestOptions) -> None:
    """List the source's identifiers and mark stored records that are gone deleted."""
    if identity.deleted_record == "persistent":
        report.notes.append("reconciliation skipped: the server keeps deletions (deletedRecord persistent)")
        return
    listed = list_identifiers(transport, source)
    stored = store.live_identifiers(source.code)
    missing = stored - listed
    _mark_missing(store, source, missing, len(stored), listed, report, options)
    unseen = listed - stored - store.quarantined_identifiers(source.code)
    if unseen:
        fetch_records(store, transport, source, sorted(unseen)[:MAX_FETCHED], report)
        report.notes.append(f"{len(unseen)} listed identifier(s) had never been stored; fetched with GetRecord")


def list_identifiers(transport: Transport, source: SourceConfig) -> set[str]:
    """Every live identifier the server lists for the source's format and set."""
    params = {"verb": "ListIdentifiers", "metadataPrefix": source.metadata_prefix}
    if source.set:
        params["set"] = source.set
    listed: set[str] = set()
    for page in Listing(transport, params).pages():
        listed.update(item.identifier for item in page.items if not item.deleted)
    return listed


def _mark_missing(store: Store, source: SourceConfig, missing: set[str], stored: int, listed: set[str],
                  report: SourceReport, options: HarvestOptions) -> None:
    if not missing:
        report.notes.append(f"reconciliation: all {stored} stored records are still listed")
        return
    if not listed and not options.force:
        report.warnings.append("reconciliation: the server listed no identifiers; nothing marked deleted "
                               "(use --force to accept)")
        return
    refused = shrink_refused(len(missing), stored, options, "no longer listed")
    if refused:
        report.warnings.append(f"reconciliation: {refused}")
        return
    report.counts.deleted += store.mark_deleted(source.code, missing)
    report.notes.append(f"reconciliation: {len(missing)} record(s) no longer listed were marked deleted")


def shrink_refused(missing: int, stored: int, options: HarvestOptions, where: str) -> str | None:
    """Why marking `missing` of `stored` records deleted is refused, or None when the share is allowed."""
    if options.force or missing / max(stored, 1) <= options.max_shrink:
        return None
    return (f"{missing} of {stored} records are {where}, more than {options.max_shrink:.0%}; "
            "nothing marked deleted (use --force to accept)")


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
