"""Harvest one OAI-PMH source page by page, with a checkpoint per page.

Each page's records and the checkpoint (window, resumption token, pages done,
the server's clock at the start) are written in one transaction, so a crash
anywhere resumes from the last stored page with nothing lost or doubled.
The `responseDate` of the Identify made at the start becomes the next run's
`from`, so changes made during a long harvest are caught next time.
"""

from __future__ import annotations

import logging

from harvest.errors import HarvestError, InvalidPage, OAIProtocolError
from harvest.pages import Identity, Page, parse_identify, parse_list_page
from harvest.records import from_oai
from harvest.report import SourceReport
from harvest.transport import RetryPolicy, Transport
from settings import SourceConfig
from store import IncomingRecord, QuarantineItem, Store

log = logging.getLogger(__name__)
MAX_SAME_TOKEN = 3
MAX_EMPTY_PAGES = 50


def harvest_oai(store: Store, source: SourceConfig, policy: RetryPolicy, *, full: bool = False,
                run_id: int | None = None) -> SourceReport:
    """Harvest `source` into `store`; raises `HarvestError` naming the fault."""
    report = SourceReport(source.code)
    transport = Transport(source.url, policy)
    try:
        identity = parse_identify(transport.fetch(verb="Identify").content)
        _harvest_window(store, source, transport, identity, report, full=full, run_id=run_id)
    except _KeptAside as exc:
        keep_aside(store, source, exc, run_id)
        raise
    finally:
        report.requests, report.retries = transport.requests, transport.retries
    return report


def _harvest_window(store: Store, source: SourceConfig, transport: Transport, identity: Identity,
                    report: SourceReport, *, full: bool, run_id: int | None) -> None:
    checkpoint = None if full else store.checkpoint(source.code)
    if checkpoint is not None:
        window_from, response_date, token = checkpoint.window_from, checkpoint.response_date, checkpoint.token
        report.pages = checkpoint.pages_done
        report.notes.append(f"resumed after page {checkpoint.pages_done}")
    else:
        window_from = None if full else _from_for(store.source_state(source.code).next_from, identity.granularity)
        response_date, token = identity.response_date, None
        store.save_checkpoint(source=source.code, window_from=window_from, window_until=None, token=None,
                              pages_done=0, response_date=response_date)
    state = _ListState(window_from, response_date, token)
    _list_pages(store, source, transport, state, report, run_id)
    store.clear_checkpoint(source.code)
    store.set_source_state(source.code, next_from=response_date, granularity=identity.granularity)


class _ListState:
    """Where the list stands and what guards against endless lists."""

    def __init__(self, window_from: str | None, response_date: str | None, token: str | None):
        self.window_from = window_from
        self.response_date = response_date
        self.token = token
        self.same_token = 0
        self.empty_pages = 0
        self.restarted = False


def _list_pages(store: Store, source: SourceConfig, transport: Transport, state: _ListState,
                report: SourceReport, run_id: int | None) -> None:
    while True:
        try:
            page = _fetch_page(transport, source, state)
        except OAIProtocolError as exc:
            if exc.code != "badResumptionToken" or state.restarted or state.token is None:
                raise
            # the token expired or was lost: list the whole window again; upserts make it idempotent
            report.notes.append(f"badResumptionToken after page {report.pages}; window listed again")
            state.token, state.restarted = None, True
            continue
        if page.no_records:
            return
        _guard(page, state)
        _store_page(store, source, page, state, report, run_id)
        state.token = page.token
        if not page.token:
            return


def _fetch_page(transport: Transport, source: SourceConfig, state: _ListState) -> Page:
    if state.token:
        params = {"verb": "ListRecords", "resumptionToken": state.token}
    else:
        params = {"verb": "ListRecords", "metadataPrefix": source.metadata_prefix}
        if state.window_from:
            params["from"] = state.window_from
        if source.set:
            params["set"] = source.set
    attempt = 0
    while True:
        content = transport.fetch(**params).content
        try:
            return parse_list_page(content, repair=attempt >= transport.policy.max_retries)
        except InvalidPage as exc:
            attempt += 1
            if attempt > transport.policy.max_retries:
                raise _KeptAside(str(exc), content, params) from exc
            transport.retry_later(attempt, str(exc))


class _KeptAside(InvalidPage):
    """An invalid page, with its bytes, to be kept in quarantine by the caller."""

    def __init__(self, message: str, content: bytes, params: dict):
        super().__init__(f"{message} (request {params}); page kept aside")
        self.content = content
        self.params = params


def _guard(page: Page, state: _ListState) -> None:
    if page.token and page.token == state.token:
        state.same_token += 1
        if state.same_token >= MAX_SAME_TOKEN:
            raise HarvestError(f"server returned the same resumption token {page.token!r} {state.same_token + 1} times")
    else:
        state.same_token = 0
    state.empty_pages = state.empty_pages + 1 if not page.items and page.token else 0
    if state.empty_pages > MAX_EMPTY_PAGES:
        raise HarvestError(f"{state.empty_pages} empty pages in a row with a resumption token")


def _store_page(store: Store, source: SourceConfig, page: Page, state: _ListState,
                report: SourceReport, run_id: int | None) -> None:
    number = report.pages + 1
    flags = ["xml-repaired"] if page.repaired else []
    items: list[IncomingRecord] = []
    quarantined: list[QuarantineItem] = []
    for item in page.items:
        if item.deleted:
            items.append(IncomingRecord(source.code, None, oai_identifier=item.identifier,
                                        datestamp=item.datestamp, deleted=True))
            continue
        result = from_oai(source, item.identifier, item.datestamp, item.metadata, flags, f"page {number}")
        (quarantined if isinstance(result, QuarantineItem) else items).append(result)
    checkpoint = {"source": source.code, "window_from": state.window_from, "window_until": None,
                  "token": page.token, "pages_done": number, "response_date": state.response_date}
    report.counts.add(store.write_page(items, quarantined, checkpoint=checkpoint, run_id=run_id))
    report.pages = number
    log.info("%s: page %d stored (%d records)", source.code, number, len(page.items))


def _from_for(next_from: str | None, granularity: str) -> str | None:
    """The `from` argument in the repository's granularity."""
    if not next_from:
        return None
    return next_from[:10] if granularity == "YYYY-MM-DD" else next_from


def keep_aside(store: Store, source: SourceConfig, error: _KeptAside, run_id: int | None) -> None:
    """Quarantine the bytes of a page that could not be read."""
    store.write_page([], [QuarantineItem(source.code, str(error), position=f"request {error.params}",
                                         raw=error.content, raw_format="oai-page")], run_id=run_id)

