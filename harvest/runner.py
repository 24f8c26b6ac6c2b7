"""Harvest many sources concurrently; one failing source never stops the others."""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Callable

from harvest.errors import HarvestError
from harvest.files import harvest_files
from harvest.oai import harvest_oai
from harvest.report import HarvestOptions, SourceReport
from harvest.transport import RetryPolicy
from settings import Config, SourceConfig
from store import LeaseHeld, Store, StoreError, harvest_lease, now

log = logging.getLogger(__name__)


def harvest_sources(store: Store, config: Config, sources: list[SourceConfig],
                    options: HarvestOptions = HarvestOptions(), *, run_id: int | None = None,
                    sleep: Callable[[float], None] = time.sleep, command: str = "harvest") -> list[SourceReport]:
    """Harvest `sources`, up to `config.harvest.concurrency` at a time, each under its harvest lease;
    reports in the order given (a source whose lease another process holds is reported `held`)."""
    with ThreadPoolExecutor(max_workers=config.harvest.concurrency, thread_name_prefix="harvest") as pool:
        futures = [pool.submit(harvest_leased, store, s, policy_for(config, s, sleep), source_options(options, s),
                               run_id=run_id, expiry=config.leases.expiry, command=command) for s in sources]
        return [f.result() for f in futures]


def harvest_leased(store: Store, source: SourceConfig, policy: RetryPolicy, options: HarvestOptions = HarvestOptions(),
                   *, run_id: int | None = None, expiry: float, command: str) -> SourceReport:
    """Harvest one source holding its `harvest:<code>` lease; never two processes on one source."""
    try:
        held = store.acquire_lease(harvest_lease(source.code), command, expiry=expiry)
    except LeaseHeld as exc:
        return SourceReport(source.code, outcome="held", error=str(exc))
    except StoreError as exc:
        return SourceReport(source.code, outcome="failed", error=str(exc))
    try:
        return harvest_one(store, source, policy, options, run_id=run_id)
    finally:
        store.drop_lease(held)


def policy_for(config: Config, source: SourceConfig, sleep: Callable[[float], None] = time.sleep) -> RetryPolicy:
    """The retry policy of one source: the shared settings, the source's own timeout if shorter and its own
    maximum response size and redirect policy if it has them."""
    shared = config.harvest
    return RetryPolicy(timeout=min(source.timeout, shared.timeout), max_retries=shared.max_retries,
                       budget=shared.retry_budget, backoff=shared.backoff, sleep=sleep,
                       max_response_bytes=source.max_response_bytes or shared.max_response_bytes,
                       request_deadline=shared.request_deadline, page_deadline=shared.page_deadline,
                       follow_redirects=source.follow_redirects or shared.follow_redirects)


def source_options(options: HarvestOptions, source: SourceConfig) -> HarvestOptions:
    """The run's options with the source's own `reconcile` setting."""
    return replace(options, reconcile=options.reconcile or source.reconcile)


def harvest_one(store: Store, source: SourceConfig, policy: RetryPolicy, options: HarvestOptions = HarvestOptions(),
                *, run_id: int | None = None) -> SourceReport:
    """Harvest one source; any failure becomes the report's outcome, never an exception."""
    started = time.monotonic()
    report = SourceReport(source.code, started=now().isoformat(timespec="seconds"))
    try:
        store.set_source_state(source.code, last_started=now())
        if source.type == "oai":
            harvest_oai(store, source, policy, options, run_id=run_id, report=report)
        else:
            harvest_files(store, source, options, run_id=run_id, report=report)
    except (HarvestError, StoreError) as exc:
        report.outcome, report.error = "failed", with_address(source, str(exc))
        log.error("%s: %s", source.code, exc)
    except Exception as exc:  # noqa: BLE001 - a bug met by one source must not stop the others
        report.outcome, report.error = "failed", f"internal error: {type(exc).__name__}: {exc}"
        log.exception("%s: harvest stopped by an unexpected error", source.code)
    report.duration = round(time.monotonic() - started, 3)
    report.finished = now().isoformat(timespec="seconds")
    _record_outcome(store, report)
    return report


def with_address(source: SourceConfig, message: str) -> str:
    """A failure's message naming the source's address, so the operator sees where it went wrong."""
    if source.type == "oai" and source.url and source.url not in message:
        return f"{message} (at {source.url})"
    return message


def _record_outcome(store: Store, report: SourceReport) -> None:
    values = {"last_finished": now(), "last_outcome": report.outcome, "last_error": report.error or None}
    if report.ok:
        values["last_success"] = now()
    try:
        store.set_source_state(report.source, **values)
    except StoreError as exc:
        log.error("%s: could not record the outcome: %s", report.source, exc)
