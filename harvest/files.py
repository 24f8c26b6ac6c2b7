"""Harvest a file source: ISO 2709 or MARCXML files, optionally gzipped.

A file source is the member's whole catalogue, so records that were in the
previous harvest and are missing now are marked deleted; but never when the
files yielded nothing or shrank by more than the allowed share, which points
at a broken export rather than a weeded catalogue.
"""

from __future__ import annotations

import glob
import logging
from pathlib import Path

from harvest.errors import HarvestError
from harvest.records import from_raw
from harvest.report import SourceReport
from normalise import read_file
from settings import SourceConfig
from store import IncomingRecord, QuarantineItem, Store

log = logging.getLogger(__name__)
BATCH = 500


def source_files(source: SourceConfig) -> list[Path]:
    """The files of a source, sorted, from its globs."""
    found = sorted({Path(p) for pattern in source.paths for p in glob.glob(pattern, recursive=True)})
    return [p for p in found if p.is_file()]


def harvest_files(store: Store, source: SourceConfig, *, max_shrink: float = 0.2, force: bool = False,
                  run_id: int | None = None) -> SourceReport:
    """Read every file of `source` into `store`; raises `HarvestError` when there are none."""
    report = SourceReport(source.code)
    files = source_files(source)
    if not files:
        raise HarvestError(f"no files match {', '.join(source.paths)}")
    seen: set[str] = set()
    for path in files:
        _harvest_file(store, source, path, seen, report, run_id)
    _delete_missing(store, source, seen, report, max_shrink=max_shrink, force=force)
    return report


def _harvest_file(store: Store, source: SourceConfig, path: Path, seen: set[str], report: SourceReport,
                  run_id: int | None) -> None:
    items: list[IncomingRecord] = []
    quarantined: list[QuarantineItem] = []
    try:
        for raw in read_file(path):
            result = from_raw(source, raw, path.name)
            if isinstance(result, QuarantineItem):
                quarantined.append(result)
            elif result.local_id in seen:
                quarantined.append(QuarantineItem(source.code, f"duplicate control number {result.local_id!r}",
                                                  position=path.name, local_id=result.local_id, raw=result.raw,
                                                  raw_format=result.raw_format))
            else:
                seen.add(result.local_id)
                items.append(result)
            if len(items) + len(quarantined) >= BATCH:
                report.counts.add(store.write_page(items, quarantined, run_id=run_id))
                items, quarantined = [], []
    except OSError as exc:
        raise HarvestError(f"cannot read {path}: {exc}") from exc
    report.counts.add(store.write_page(items, quarantined, run_id=run_id))
    report.pages += 1
    log.info("%s: %s read", source.code, path.name)


def _delete_missing(store: Store, source: SourceConfig, seen: set[str], report: SourceReport, *,
                    max_shrink: float, force: bool) -> None:
    if not seen and not force:
        report.notes.append("files held no readable records; nothing marked deleted")
        return
    live_now = store.record_counts().get(source.code, {}).get("records", 0)
    missing = live_now - len(seen)
    before = live_now - report.counts.new
    if missing <= 0:
        return
    if not force and before and missing / before > max_shrink:
        report.notes.append(f"{missing} of {before} records missing from the files, more than {max_shrink:.0%}: "
                            "nothing marked deleted (use --force to accept)")
        return
    report.counts.deleted += store.mark_missing_deleted(source.code, seen, by_oai=False)
