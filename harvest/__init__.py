"""Harvesting: OAI-PMH and file sources into the store. The only user of HTTP."""

from harvest.errors import (DeadlineExceeded, HarvestError, InvalidPage, OAIProtocolError, PermanentError,
                            RedirectRefused, ResponseTooLarge, TransportError)
from harvest.files import harvest_files, source_files
from harvest.oai import harvest_oai
from harvest.quarantine import RetryReport, retry_entry, retry_quarantined
from harvest.report import HarvestOptions, Progress, SourceReport
from harvest.runner import harvest_leased, harvest_one, harvest_sources, policy_for
from harvest.workers import WorkerReport, run_worker
from harvest.transport import RetryPolicy, retry_after_seconds

__all__ = [
    "HarvestError", "InvalidPage", "OAIProtocolError", "TransportError", "ResponseTooLarge", "DeadlineExceeded",
    "PermanentError", "RedirectRefused", "harvest_files", "source_files",
    "harvest_oai", "RetryReport", "retry_entry", "retry_quarantined", "HarvestOptions", "Progress", "SourceReport", "harvest_leased",
    "harvest_one", "harvest_sources", "policy_for", "WorkerReport", "run_worker",
    "RetryPolicy", "retry_after_seconds",
]
