"""Harvest a file source: ISO 2709 or MARCXML files, optionally gzipped.

Binary records are read leniently (MARC-8 or UTF-8); MARCXML with or without
the MARC21 namespace, and marcxchange. A record that cannot be read is
quarantined with its file, position and reason, and the file goes on.

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
from harvest.reconcile import shrink_refused
from harvest.records import from_raw
from harvest.report import HarvestOptions, Progress, SourceReport
from normalise import ISO2709, MARCXML, ReadFailure, read_file
from settings import SourceConfig
from store import IncomingRecord, QuarantineItem, Store

log = logging.getLogger(__name__)
BATCH = 500
FORMATS = (ISO2709, MARCXML)


def source_files(source: SourceConfig) -> list[Path]:
    """The files of a source, sorted, from its globs."""
    found = sorted({Path(p) for pattern in source.paths for p in glob.glob(pattern, recursive=True)})
    return [p for p in found if p.is_file()]


def unmatched_paths(source: SourceConfig) -> list[str]:
    """The source's paths (files or globs) that match no file: a file gone from the member's export."""
    return [pattern for pattern in source.paths
            if not any(Path(p).is_file() for p in glob.glob(pattern, recursive=True))]


def harvest_files(store: Store, source: SourceConfig, options: HarvestOptions = HarvestOptions(),
                  *, run_id: int | None = None, report: SourceReport | None = None) -> SourceReport:
    """Read every file of `source` into `store`, counting into `report`; raises `HarvestError` when there are none."""
    report = report or SourceReport(source.code)
    files = source_files(source)
    if not files:
        raise HarvestError(f"no files match {', '.join(source.paths)}: check the source's path")
    missing = unmatched_paths(source)
    seen: set[str] = set()
    incomplete: list[str] = []
    for path in files:
        if not _harvest_file(store, source, path, seen, report, run_id):
            incomplete.append(path.name)
        options.report(Progress(source.code, report.pages, len(seen) + report.counts.quarantined, len(files)))
    if incomplete:
        report.warnings.append(f"{', '.join(incomplete)} could not be read to the end; nothing marked deleted")
    elif not missing:
        _delete_missing(store, source, seen, report, options)
    if missing:
        raise HarvestError(f"no file matches {', '.join(missing)}: check the source's path; the other files "
                           "were read and nothing was marked deleted")
    return report


def _harvest_file(store: Store, source: SourceConfig, path: Path, seen: set[str], report: SourceReport,
                  run_id: int | None) -> bool:
    """Store one file's records; False when part of the file could not be read at all."""
    items: list[IncomingRecord] = []
    quarantined: list[QuarantineItem] = []
    complete = True
    try:
        for raw in read_file(path):
            # a failure without the record's bytes (gzip or XML cut short, not MARC) hides records
            complete = complete and not (isinstance(raw, ReadFailure) and (not raw.raw or raw.format not in FORMATS))
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
    except (OSError, EOFError) as exc:   # unreadable, or a gzip stream cut short
        raise HarvestError(f"cannot read {path}: {exc}") from exc
    report.counts.add(store.write_page(items, quarantined, run_id=run_id))
    report.pages += 1
    log.info("%s: %s read", source.code, path.name)
    return complete


def _delete_missing(store: Store, source: SourceConfig, seen: set[str], report: SourceReport,
                    options: HarvestOptions) -> None:
    stored = store.live_identifiers(source.code, by_oai=False)
    missing = stored - seen
    if not missing:
        return
    if not seen and not options.force:
        report.warnings.append("the files held no readable records; nothing marked deleted (use --force to accept)")
        return
    refused = shrink_refused(len(missing), len(stored), options, "missing from the files")
    if refused:
        report.warnings.append(refused)
        return
    report.counts.deleted += store.mark_deleted(source.code, missing, by_oai=False)
