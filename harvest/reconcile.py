"""Deletions for servers that do not keep them: list identifiers, mark the missing deleted.

When Identify says `deletedRecord` is `no` or `transient`, a record removed at
the server may never be announced. Reconciliation lists every identifier
(ListIdentifiers, no `from`) and marks the stored records that are no longer
listed deleted; but never when the listing came back empty or would remove
more than `max_shrink` of the source, which points at a broken server rather
than a weeded catalogue, unless forced. Records listed but not stored as
listed (skipped when a server shifted its offsets mid-list) are fetched with
GetRecord.
"""

from __future__ import annotations

import logging

from harvest.gaps import fill_gaps, list_headers
from harvest.pages import Identity
from harvest.report import HarvestOptions, SourceReport
from harvest.transport import Transport
from settings import SourceConfig
from store import Store

log = logging.getLogger(__name__)


def reconcile_deletions(store: Store, source: SourceConfig, transport: Transport, identity: Identity,
                        report: SourceReport, options: HarvestOptions) -> None:
    """List the source's identifiers and mark stored records that are gone deleted."""
    if identity.deleted_record == "persistent":
        report.notes.append("reconciliation skipped: the server keeps deletions (deletedRecord persistent)")
        return
    headers = list_headers(transport, source)
    listed = {h.identifier for h in headers if not h.deleted}
    stored = store.live_identifiers(source.code)
    _mark_missing(store, source, stored - listed, len(stored), listed, report, options)
    fill_gaps(store, transport, source, [h for h in headers if not h.deleted], report)


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
