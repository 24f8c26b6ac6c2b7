"""Harvest workers: several processes (on several machines) sharing the sources of one round.

A worker joins the open harvest round (or opens one), then repeatedly claims
a source still to do by taking its `harvest:<code>` lease, harvests it, marks
it done (or failed) for the round and releases the lease. When every source
it could claim is held by other workers it waits and asks again: a killed
worker's lease expires and the source is taken over, resuming from the
checkpoint written with each page. The worker returns when no source of the
round is left to do, or at the round's deadline.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable

from harvest.report import HarvestOptions, SourceReport
from harvest.runner import harvest_one, policy_for, source_options
from settings import Config
from store import LeaseHeld, Round, Store, harvest_lease, now

log = logging.getLogger(__name__)


@dataclass
class WorkerReport:
    """What one worker did in a round."""

    round_id: int
    worker: str
    sources: list[SourceReport] = field(default_factory=list)
    deadline_passed: bool = False


def worker_name(command: str = "harvest --worker") -> str:
    """How a worker names itself in rounds and leases."""
    return f"{socket.gethostname()} pid {os.getpid()} ({command})"


def run_worker(store: Store, config: Config, options: HarvestOptions = HarvestOptions(), *,
               deadline: float | None = None, command: str = "harvest --worker",
               sleep: Callable[[float], None] = time.sleep) -> WorkerReport:
    """Harvest sources of the open round until none is left to do (or `deadline` seconds after it began)."""
    worker = worker_name(command)
    joined = store.join_round([s.code for s in config.sources], worker)
    report = WorkerReport(joined.id, worker)
    with ThreadPoolExecutor(max_workers=config.harvest.concurrency, thread_name_prefix="worker") as pool:
        loops = [pool.submit(_claim_loop, store, config, options, report, deadline, command, sleep)
                 for _ in range(config.harvest.concurrency)]
        for loop in loops:
            loop.result()
    return report


def past_deadline(current: Round, deadline: float | None) -> bool:
    """True once `deadline` seconds have gone by since the round began."""
    if deadline is None:
        return False
    return now() >= current.started_at + timedelta(seconds=deadline)


def _claim_loop(store: Store, config: Config, options: HarvestOptions, report: WorkerReport,
                deadline: float | None, command: str, sleep: Callable[[float], None]) -> None:
    while True:
        current = store.harvest_round(report.round_id)
        # in the configured order: the operator lists the sources that matter most first
        todo = [s.code for s in config.sources if current.sources.get(s.code) == "todo"]
        if not todo or current.finished_at is not None:
            return
        if past_deadline(current, deadline):
            report.deadline_passed = True
            return
        if not any(_claim(store, config, options, report, code, command) for code in todo):
            # every source left is held by another worker: wait for it to finish, or for its lease to expire
            sleep(min(1.0, config.leases.expiry / 4))


def _claim(store: Store, config: Config, options: HarvestOptions, report: WorkerReport, code: str, command: str) -> bool:
    """Harvest `code` if its lease is free and it is still to do; True when this worker took it."""
    try:
        held = store.acquire_lease(harvest_lease(code), command, expiry=config.leases.expiry)
    except LeaseHeld:
        return False
    try:
        if store.harvest_round(report.round_id).sources.get(code) != "todo":
            return False          # finished by another worker between our look and our claim
        source = config.source(code)
        log.info("%s: claimed by %s", code, report.worker)
        result = harvest_one(store, source, policy_for(config, source), source_options(options, source))
        report.sources.append(result)
        if held.lost.is_set() or not store.renew_lease(held.name, held.token, config.leases.expiry):
            log.error("%s: lost its lease to another worker, which finishes it", code)
            return True       # this process was frozen past its expiry: the source is the new holder's now
        store.finish_round_source(report.round_id, code, "done" if result.ok else "failed", report.worker)
        return True
    finally:
        store.drop_lease(held)
