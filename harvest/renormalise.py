"""Stored records derived again from their raw MARC when the normalisation rules changed.

Each record keeps the version of the rules that made its normalised form
(`normalise.RULES_VERSION`). After an upgrade the records of older versions
are derived again a batch at a time, within a time limit, so that a large
catalogue is brought up to date over several nights without holding back
the harvest. `every=True` derives all records of the named sources again
(their holdings mapping or catalogue address changed in `config.yaml`).
Only records whose normalised form changed are flagged for matching, so
only they go through dedup and the index again.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from harvest.records import rederive
from normalise import RULES_VERSION
from settings import Config
from store import Rederived, Store, StoredRecord

log = logging.getLogger(__name__)
BATCH = 500
FAILURES_SHOWN = 20


@dataclass
class RenormaliseReport:
    """What one pass did: records derived again, those whose form changed, those kept as they were."""

    version: int = RULES_VERSION
    examined: int = 0
    changed: int = 0
    failed: int = 0
    remaining: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready summary."""
        return dict(self.__dict__)


def pending(store: Store, sources: list[str] | None = None) -> int:
    """Live records whose normalised form older rules made."""
    return store.count_to_rederive(RULES_VERSION, sources=sources)


def renormalise(store: Store, config: Config, *, sources: list[str] | None = None, every: bool = False,
                time_limit: float | None = None, batch: int = BATCH) -> RenormaliseReport:
    """Derive stored records again (see the module docstring); stops after the batch that passes `time_limit`
    seconds, so each call makes progress."""
    by_code = {source.code: source for source in config.sources}
    report = RenormaliseReport()
    started = time.monotonic()
    after, finished = 0, False
    while True:
        rows = store.records_to_rederive(RULES_VERSION, after, batch, sources=sources, every=every)
        if not rows:
            finished = True
            break
        outcomes = [Rederived(row.id, _derived(by_code, row, report)) for row in rows]
        report.examined += len(rows)
        report.changed += store.save_rederived(RULES_VERSION, outcomes)
        after = rows[-1].id
        if time_limit is not None and time.monotonic() - started >= time_limit:
            break
    report.remaining = 0 if finished else store.count_to_rederive(RULES_VERSION, sources=sources, every=every,
                                                                  after_id=after)
    report.seconds = round(time.monotonic() - started, 3)
    log.info("renormalise: %d records derived again, %d changed, %d kept as they were, %d left",
             report.examined, report.changed, report.failed, report.remaining)
    return report


def _derived(by_code: dict, row: StoredRecord, report: RenormaliseReport):
    """The record's new form, or None (kept as it was; the reason is in the report)."""
    source = by_code.get(row.source)
    outcome = rederive(source, row.raw, row.raw_format, row.flags) if source else "its source is not configured"
    if isinstance(outcome, str) or outcome.local_id != row.local_id:
        reason = outcome if isinstance(outcome, str) else "its control number (001) would change: harvest it again"
        report.failed += 1
        if len(report.failures) < FAILURES_SHOWN:
            report.failures.append(f"{row.public_id}: {reason}")
        return None
    return outcome
