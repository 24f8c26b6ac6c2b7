"""What a harvest of one source did, as plain data for the run report, and how it was asked."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Callable

from store import PageCounts


@dataclass
class SourceReport:
    """Counts and outcome of one source's harvest."""

    source: str
    outcome: str = "ok"            # ok | failed | held (another process harvests it now)
    error: str = ""
    counts: PageCounts = field(default_factory=PageCounts)
    requests: int = 0
    retries: int = 0
    pages: int = 0
    duration: float = 0.0
    started: str = ""              # ISO 8601 times in UTC, for the run report
    finished: str = ""
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)   # the operator must act (e.g. deletions refused)

    @property
    def ok(self) -> bool:
        """True when the source was harvested completely."""
        return self.outcome == "ok"

    def to_dict(self) -> dict:
        """JSON-ready summary (quarantined records named, not their bytes)."""
        data = asdict(self)
        counts = data.pop("counts")
        items = counts.pop("quarantined_items")
        data.update(counts)
        data["quarantined_records"] = [
            {"oai_identifier": q["oai_identifier"], "local_id": q["local_id"], "position": q["position"], "reason": q["reason"]}
            for q in items
        ]
        return data


@dataclass
class Progress:
    """How far one source has come, sent after every page or file."""

    source: str
    pages: int
    records: int
    total: int | None = None       # the server's completeListSize, when it gives one


@dataclass(frozen=True)
class HarvestOptions:
    """How to harvest: what the command line and the source's configuration asked for."""

    full: bool = False             # ignore checkpoints and `from`: list everything again
    force: bool = False            # mark missing records deleted even when the catalogue shrank a lot
    reconcile: bool = False        # list identifiers and mark the missing deleted (deletedRecord no/transient)
    max_shrink: float = 0.2        # the largest share of a source that may vanish in one run without --force
    progress: Callable[[Progress], None] | None = None

    def report(self, progress: Progress) -> None:
        """Hand a progress event to whoever listens."""
        if self.progress is not None:
            self.progress(progress)
