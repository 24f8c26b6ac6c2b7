"""Harvest many sources concurrently; one failing source never stops the others."""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from harvest.errors import HarvestError
from harvest.files import harvest_files
from harvest.oai import harvest_oai
from harvest.report import SourceReport
from harvest.transport import RetryPolicy
from settings import Config, SourceConfig
from store import Store, StoreError, now

log = logging.getLogger(__name__)


def harvest_sources(store: Store, config: Config, sources: list[SourceConfig], *, full: bool = False,
                    force: bool = False, run_id: int | None = None,
                    sleep: Callable[[float], None] = time.sleep) -> list[SourceReport]:
    """Harvest `sources`, up to `config.harvest.concurrency` at a time, in the order given."""
    with ThreadPoolExecutor(max_workers=config.harvest.concurrency, thread_name_prefix="harvest") as pool:
        futures = [pool.submit(harvest_one, store, s, _policy(config, s, sleep), full=full, force=force, run_id=run_id)
                   for s in sources]
        return [f.result() for f in futures]


def _policy(config: Config, source: SourceConfig, sleep: Callable[[float], None]) -> RetryPolicy:
    return RetryPolicy(timeout=min(source.timeout, config.harvest.timeout), max_retries=config.harvest.max_retries,
                       backoff=config.harvest.backoff, sleep=sleep)


def harvest_one(store: Store, source: SourceConfig, policy: RetryPolicy, *, full: bool = False,
                force: bool = False, run_id: int | None = None) -> SourceReport:
    """Harvest one source; any failure becomes the report's outcome, never an exception."""
    started = time.monotonic()
    store.set_source_state(source.code, last_started=now())
    try:
        if source.type == "oai":
            report = harvest_oai(store, source, policy, full=full, run_id=run_id)
        else:
            report = harvest_files(store, source, force=force, run_id=run_id)
    except (HarvestError, StoreError) as exc:
        report = SourceReport(source.code, outcome="failed", error=str(exc))
        log.error("%s: %s", source.code, exc)
    report.duration = round(time.monotonic() - started, 3)
    _record_outcome(store, report)
    return report


def _record_outcome(store: Store, report: SourceReport) -> None:
    values = {"last_finished": now(), "last_outcome": report.outcome, "last_error": report.error or None}
    if report.ok:
        values["last_success"] = now()
    try:
        store.set_source_state(report.source, **values)
    except StoreError as exc:
        log.error("%s: could not record the outcome: %s", report.source, exc)
