"""Harvest one OAI-PMH source page by page, with a checkpoint per page.

Each page's records and the checkpoint (window, resumption token, pages done,
the server's clock at the start) are written in one transaction, so a crash
anywhere resumes from the last stored page with nothing lost or doubled.
The `responseDate` of the Identify made at the start becomes the next run's
`from`, in the granularity Identify gives on every run.
"""

from __future__ import annotations

import logging

from harvest.lists import KeptAside, Listing, fetch_parsed
from harvest.pages import Identity, Page, parse_identify
from harvest.gaps import fill_gaps, incoming, list_headers
from harvest.reconcile import reconcile_deletions
from harvest.report import HarvestOptions, Progress, SourceReport
from harvest.transport import RetryPolicy, Transport
from settings import SourceConfig
from store import IncomingRecord, QuarantineItem, Store
from store.state import PAGE_FORMAT

log = logging.getLogger(__name__)


def harvest_oai(store: Store, source: SourceConfig, policy: RetryPolicy, options: HarvestOptions = HarvestOptions(),
                *, run_id: int | None = None, report: SourceReport | None = None) -> SourceReport:
    """Harvest `source` into `store`, counting into `report`; raises `HarvestError` naming the fault."""
    report = report or SourceReport(source.code)
    transport = Transport(source.url, policy)
    try:
        identity = fetch_parsed(transport, {"verb": "Identify"}, parse_identify)
        _harvest_window(store, source, transport, identity, report, options, run_id)
        if options.reconcile:
            reconcile_deletions(store, source, transport, identity, report, options)
    except KeptAside as exc:
        keep_aside(store, source, exc, run_id)
        raise
    finally:
        report.requests, report.retries = transport.requests, transport.retries
        report.notes.extend(transport.notes)
        transport.close()
    return report


def _harvest_window(store: Store, source: SourceConfig, transport: Transport, identity: Identity,
                    report: SourceReport, options: HarvestOptions, run_id: int | None) -> None:
    checkpoint = None if options.full else store.checkpoint(source.code)
    if checkpoint is not None:
        window_from = _from_for(checkpoint.window_from, identity.granularity)
        response_date, token = checkpoint.response_date, checkpoint.token
        report.pages = checkpoint.pages_done
        report.notes.append(f"resumed after page {checkpoint.pages_done}")
        complete = checkpoint.pages_done > 0 and not token   # stopped after the last page was stored
    else:
        window_from = None if options.full else _from_for(store.source_state(source.code).next_from, identity.granularity)
        response_date, token, complete = identity.response_date, None, False
        store.save_checkpoint(source=source.code, window_from=window_from, window_until=None, token=None,
                              pages_done=0, response_date=response_date)
    if not complete:
        listing = Listing(transport, _list_params(source, window_from), token)
        watch = ShiftWatch(from_start=token is None)
        for page in listing.pages():
            watch.see(page)
            _store_page(store, source, page, window_from, response_date, report, options, run_id)
        report.notes.extend(listing.notes)
        if watch.shifted():
            report.notes.append(watch.shifted())
            fill_gaps(store, transport, source, list_headers(transport, source, window_from), report, run_id)
    store.finish_list(source.code, next_from=response_date, granularity=identity.granularity)


class ShiftWatch:
    """Signs that the server's list shifted under the harvest (see `harvest.gaps`)."""

    def __init__(self, from_start: bool):
        self.from_start = from_start      # a resumed list has not seen its first pages
        self.seen: set[str] = set()
        self.repeated = 0
        self.announced: int | None = None

    def see(self, page: Page) -> None:
        """Count a page's identifiers; the first page's completeListSize is what to expect."""
        if self.announced is None and not self.seen:
            self.announced = page.complete_list_size
        for item in page.items:
            self.repeated += item.identifier in self.seen
            self.seen.add(item.identifier)

    def shifted(self) -> str:
        """Why the list looks shifted, or "" when it does not."""
        if self.repeated:
            return f"{self.repeated} record(s) were listed twice: checking the window for skipped records"
        if self.from_start and self.announced and len(self.seen) < self.announced:
            return (f"{len(self.seen)} records listed of {self.announced} announced: "
                    "checking the window for skipped records")
        return ""


def _list_params(source: SourceConfig, window_from: str | None) -> dict:
    params = {"verb": "ListRecords", "metadataPrefix": source.metadata_prefix}
    if window_from:
        params["from"] = window_from
    if source.set:
        params["set"] = source.set
    return params


def _store_page(store: Store, source: SourceConfig, page: Page, window_from: str | None, response_date: str | None,
                report: SourceReport, options: HarvestOptions, run_id: int | None) -> None:
    number = report.pages + 1
    items: list[IncomingRecord] = []
    quarantined: list[QuarantineItem] = []
    for item in page.items:
        result = incoming(source, item, f"page {number}")
        (quarantined if isinstance(result, QuarantineItem) else items).append(result)
    checkpoint = {"source": source.code, "window_from": window_from, "window_until": None,
                  "token": page.token, "pages_done": number, "response_date": response_date}
    report.counts.add(store.write_page(items, quarantined, checkpoint=checkpoint, run_id=run_id))
    report.pages = number
    records = report.counts.new + report.counts.changed + report.counts.unchanged + report.counts.deleted
    options.report(Progress(source.code, number, records + report.counts.quarantined, page.complete_list_size))
    log.info("%s: page %d stored (%d records)", source.code, number, len(page.items))


def _from_for(next_from: str | None, granularity: str) -> str | None:
    """The `from` argument in the repository's granularity."""
    if not next_from:
        return None
    return next_from[:10] if granularity == "YYYY-MM-DD" else next_from


def keep_aside(store: Store, source: SourceConfig, error: KeptAside, run_id: int | None) -> None:
    """Quarantine the bytes of a page that could not be read."""
    store.write_page([], [QuarantineItem(source.code, str(error), position=f"request {error.params}",
                                         raw=error.content, raw_format=PAGE_FORMAT)], run_id=run_id)
